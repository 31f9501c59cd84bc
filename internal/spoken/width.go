package spoken

// FoldWidth maps full-width ASCII letters and digits, and the full-width symbols people use in
// numbers, mail and codes, to ASCII, and the ideographic space to a space. Full-width Chinese
// punctuation (，。？！：；（）) is the normal form in Chinese text and is kept. The chat's
// sanitiser and search's normaliser both fold with it.
func FoldWidth(r rune) rune {
	if r < 0x3000 {
		return r
	}
	switch {
	case r == 0x3000:
		return ' '
	case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
		return r - 0xFEE0
	}
	switch r {
	case '＋', '－', '．', '／', '＠', '＃', '％', '＆', '＊', '＝', '＿', '＜', '＞', '［', '］', '｛', '｝', '＼', '｜', '～', '＇', '＂', '＄', '＾', '｀':
		return r - 0xFEE0
	}
	return r
}
