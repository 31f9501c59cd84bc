package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"shebao/internal/spoken/answer"
)

// chinaToday is today's date in China Standard Time, the day a spoken answer is given on when
// none is named.
func chinaToday() time.Time {
	y, m, d := time.Now().In(time.FixedZone("CST", 8*3600)).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// todayFlag reads a --today value: YYYY-MM-DD, or empty for chinaToday.
func todayFlag(v string) (time.Time, error) {
	if v == "" {
		return chinaToday(), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("--today %q: want YYYY-MM-DD", v)}
	}
	return d, nil
}

func runParse(_ context.Context, env *environment, args []string) error {
	kinds := make([]string, len(answer.Kinds))
	for i, k := range answer.Kinds {
		kinds[i] = string(k)
	}
	fs := newFlags(env, "parse", "parse --type TYPE [--today YYYY-MM-DD] [--options 'A|B|C'] TEXT\n\n"+
		"Reads TEXT as a spoken answer and prints its canonical value: yesno true/false, number and money\n"+
		"a decimal (money in yuan), date YYYY-MM-DD or YYYY-MM, phone/idcard/bankcard digits (X upper-case),\n"+
		"name, sex 男/女, choice the option. A refused answer exits 1 with its reason code and message.")
	kind := fs.String("type", "", "what the question asks for: "+strings.Join(kinds, ", "))
	today := fs.String("today", "", "the day the answer is given on, YYYY-MM-DD, for 去年十月 and two-digit years (default: today, China time)")
	options := fs.String("options", "", "the options of a choice, separated by |")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *kind == "" || fs.NArg() == 0 {
		return usageError{"use: shebao parse --type TYPE [--today YYYY-MM-DD] TEXT"}
	}
	day, err := todayFlag(*today)
	if err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	var v answer.Value
	if answer.Kind(*kind) == answer.Choice {
		if *options == "" {
			return usageError{"--type choice needs --options 'A|B|C'"}
		}
		v, err = answer.ParseChoice(text, strings.Split(*options, "|"))
	} else {
		v, err = answer.Parse(answer.Kind(*kind), text, day)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, v.Text)
	return nil
}

// runEvalParse is `shebao eval parse [FILE.tsv]`: the parser's accuracy per type on FILE, or on
// each of the sets kept with it (embedded in the binary).
func runEvalParse(env *environment, args []string) error {
	fs := newFlags(env, "eval parse", "eval parse [--today YYYY-MM-DD] [FILE.tsv]\n\n"+
		"FILE lines: type<TAB>today<TAB>spoken<TAB>expected (today - for none, expected INVALID for a refusal).\n"+
		"Without FILE, the parser's own set and the independent set kept with it are evaluated.")
	today := fs.String("today", "", "the day standing for today on lines whose today is - (default: today, China time)")
	if err := fs.parse(args); err != nil {
		return err
	}
	day, err := todayFlag(*today)
	if err != nil {
		return err
	}
	type set struct {
		name string
		open func() (io.ReadCloser, error)
	}
	var sets []set
	switch fs.NArg() {
	case 0:
		for _, n := range answer.SetNames {
			sets = append(sets, set{n, func() (io.ReadCloser, error) {
				return answer.Sets.Open(n)
			}})
		}
	case 1:
		path := fs.Arg(0)
		sets = append(sets, set{path, func() (io.ReadCloser, error) {
			return os.Open(path)
		}})
	default:
		return usageError{"eval parse takes at most one FILE"}
	}
	for i, s := range sets {
		f, err := s.open()
		if err != nil {
			return err
		}
		cases, err := answer.ReadCases(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if i > 0 {
			fmt.Fprintln(env.stdout)
		}
		fmt.Fprintf(env.stdout, "== %s (%d answers)\n", s.name, len(cases))
		fmt.Fprint(env.stdout, answer.Evaluate(cases, day).String())
	}
	return nil
}
