package assistant

import (
	"embed"
	"path"
)

// goldenSets are the assistant's golden sets, shipped in the binary so that `shebao eval chat`
// runs from any directory.
//
//go:embed testdata/golden.yaml testdata/golden_holdout.yaml testdata/chat_factual_dev.yaml testdata/chat_factual_heldout.yaml testdata/chat_factual_fresh.yaml testdata/chat_factual_dev2.yaml testdata/chat_factual_fresh2.yaml testdata/chat_factual_fresh3.yaml testdata/chat_factual_fresh4.yaml testdata/chat_factual_fresh5.yaml testdata/chat_factual_fresh6.yaml
var goldenSets embed.FS

// GoldenSets returns the names of the built-in golden sets: golden (the main set) and holdout
// (written apart from the tuning).
func GoldenSets() []string { return []string{"golden", "holdout"} }

// BuiltinGolden returns the built-in golden set name as YAML, and whether it exists.
func BuiltinGolden(name string) ([]byte, bool) {
	return builtinSet(map[string]string{"golden": "golden.yaml", "holdout": "golden_holdout.yaml"}, name)
}

// FactualSets returns the names of the built-in factual sets (#19): the dev half used while
// tuning, the held-out half written by the same independent author and not tuned on, and a fresh
// set written later by another author who saw no code (never tuned on either), and a second dev
// set by a third author who saw no code (written 2026-12-07; tuned on after its first scoring), and
// fresh2, by a fourth author who saw no code (written 2026-12-07, never tuned on; a guard of
// the third tuning pass, which saw its totals only), and fresh3, by a fifth author who saw no
// code (written 2026-12-07, kept out of the tuner's reach until the third pass was merged; 22 of
// its answerable questions expect no figure; a guard, totals only, of the fourth pass), and
// fresh4, by a sixth author who saw no code (written 2026-12-07, kept out of the tuner's reach
// until the fourth pass was merged; 22 answerable questions expect no figure; tuned on by the
// fifth pass), and fresh5, by a seventh author who saw no code (written 2026-12-08, kept out of the
// fifth pass's reach; 40 answerable questions expect no figure; a guard, totals only, of the sixth
// pass), and fresh6, by an eighth author who saw no code (written 2026-12-08, kept outside the
// repository until the sixth pass was merged; 55 answerable questions expect no figure).
func FactualSets() []string {
	return []string{"factual_dev", "factual_heldout", "factual_fresh", "factual_dev2", "factual_fresh2", "factual_fresh3", "factual_fresh4", "factual_fresh5", "factual_fresh6"}
}

// BuiltinFactual returns the built-in factual set name as YAML, and whether it exists.
func BuiltinFactual(name string) ([]byte, bool) {
	return builtinSet(map[string]string{"factual_dev": "chat_factual_dev.yaml", "factual_heldout": "chat_factual_heldout.yaml",
		"factual_fresh": "chat_factual_fresh.yaml", "factual_dev2": "chat_factual_dev2.yaml", "factual_fresh2": "chat_factual_fresh2.yaml",
		"factual_fresh3": "chat_factual_fresh3.yaml", "factual_fresh4": "chat_factual_fresh4.yaml",
		"factual_fresh5": "chat_factual_fresh5.yaml", "factual_fresh6": "chat_factual_fresh6.yaml"}, name)
}

// builtinSet reads the embedded file that files names for name, and whether there is one.
func builtinSet(files map[string]string, name string) ([]byte, bool) {
	file := files[name]
	if file == "" {
		return nil, false
	}
	b, err := goldenSets.ReadFile(path.Join("testdata", file))
	return b, err == nil
}
