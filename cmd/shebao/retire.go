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
	fs := newFlags(env, "retire", `retire --category male|female50|female55 --birth YYYY-MM [--json]

Categories (人员类别):
  male      男职工: originally 60, raised by 1 month every 4 months of birth, to at most 63
  female50  原法定退休年龄50周岁的女职工: raised by 1 month every 2 months, to at most 55
  female55  原法定退休年龄55周岁的女职工: raised by 1 month every 4 months, to at most 58

Examples:
  shebao retire --category male --birth 1970-01
  shebao retire --category female50 --birth 1980-06
  shebao retire --category female55 --birth 1975-03 --json`)
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
