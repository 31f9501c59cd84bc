package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"shebao/internal/beijing"
	"shebao/internal/retirement"
)

func runRetire(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "retire", "retire --category male|female50|female55 --birth YYYY-MM [--json]")
	category := fs.String("category", "", "male (男职工), female50 (原法定退休年龄50周岁的女职工) or female55 (原55周岁的女职工)")
	birth := fs.String("birth", "", "birth month, YYYY-MM")
	asJSON := fs.Bool("json", false, "print the JSON object the API returns")
	if err := fs.parse(args); err != nil {
		return err
	}
	r, err := retirement.Lookup(*category, *birth, beijing.Now())
	var pe *retirement.ParamError
	if errors.As(err, &pe) {
		return usageError{fmt.Sprintf("--%s: %s", pe.Param, pe.Message)}
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(r.View())
	}
	fmt.Fprintln(env.stdout, r.Sentence())
	return nil
}
