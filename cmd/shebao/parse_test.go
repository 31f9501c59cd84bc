package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args       []string
		code       int
		out, errIn string
	}{
		{[]string{"--type", "money", "两千一百三十八元四角"}, 0, "2138.4\n", ""},
		{[]string{"--type", "number", "1万2"}, 0, "12000\n", ""},
		{[]string{"--type", "yesno", "没错"}, 0, "true\n", ""},
		{[]string{"--type", "date", "--today", "2026-03-15", "上个月15号"}, 0, "2026-02-15\n", ""},
		{[]string{"--type", "date", "五三年三月"}, 0, "1953-03\n", ""},
		{[]string{"--type", "phone", "幺三八", "幺二三四", "五六七八"}, 0, "13812345678\n", ""},
		{[]string{"--type", "idcard", "61011319800715123叉"}, 0, "61011319800715123X\n", ""},
		{[]string{"--type", "choice", "--options", "甲|乙|丙", "最后一个"}, 0, "丙\n", ""},
		{[]string{"--type", "idcard", "610102195303050018"}, 1, "", "idcard_check: 身份证号最后一位"},
		{[]string{"--type", "date", "六五年"}, 1, "", "date_year_only"},
		{[]string{"--type", "bankcard", "6217001234567894"}, 1, "", "bankcard_check"},
		{[]string{"--type", "colour", "红"}, 1, "", "answer_kind_unknown"},
		{[]string{"--type", "date", "--today", "15.3.2026", "昨天"}, 2, "", "--today"},
		{[]string{"--type", "date"}, 2, "", "TEXT"},
		{[]string{"--type", "choice", "第一个"}, 2, "", "--options"},
	} {
		code, out, errs := invoke(t, nil, "", append([]string{"parse"}, c.args...)...)
		if code != c.code || out != c.out || !strings.Contains(errs, c.errIn) {
			t.Errorf("parse %v: exit %d, out %q, err %q; want %d, %q, %q", c.args, code, out, errs, c.code, c.out, c.errIn)
		}
	}
}

func TestEvalParseCommand(t *testing.T) {
	t.Parallel()
	// the embedded sets, from a directory that does not hold them
	code, out, errs := invoke(t, nil, "", "eval", "parse")
	if code != 0 || !strings.Contains(out, "parse_own.tsv") || !strings.Contains(out, "parse_independent.tsv") ||
		!strings.Contains(out, "overall") || !strings.Contains(out, "idcard") {
		t.Fatalf("eval parse: %d %q %q", code, out, errs)
	}
	// a file of one's own, with a miss reported
	path := filepath.Join(t.TempDir(), "mine.tsv")
	os.WriteFile(path, []byte("# a comment\nyesno\t-\t对\ttrue\nnumber\t-\t一百二\t12\ndate\t2026-03-15\t去年十月\t2025-10\n"), 0o600)
	code, out, errs = invoke(t, nil, "", "eval", "parse", path)
	if code != 0 || !strings.Contains(out, "overall        3        2     66.7%") || !strings.Contains(out, "want 12\tgot 120") {
		t.Errorf("eval parse FILE: %d %q %q", code, out, errs)
	}
	os.WriteFile(path, []byte("colour\t-\t红\tred\n"), 0o600)
	if code, _, errs := invoke(t, nil, "", "eval", "parse", path); code != 1 || !strings.Contains(errs, "unknown type") {
		t.Errorf("eval parse with a bad line: %d %q", code, errs)
	}
}
