package spoken

// idWeights are the GB 11643-1999 weights of the first seventeen digits of an ID number.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// IDCheckDigit returns the GB 11643 check character ('0'–'9' or 'X') for the first seventeen
// digits of a 居民身份证号, or 0 when first17 is not seventeen ASCII digits.
func IDCheckDigit(first17 string) byte {
	if len(first17) < 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11]
}

// ValidID reports whether d is an 18-character ID number whose last character is its check
// digit (an X may be lower-case).
func ValidID(d string) bool {
	if len(d) != 18 {
		return false
	}
	last := d[17]
	if last == 'x' {
		last = 'X'
	}
	c := IDCheckDigit(d[:17])
	return c != 0 && last == c
}

// IDBirth reads the birth date of an 18-digit ID number (positions 7–14, YYYYMMDD), or of a
// 15-digit one of the old form (positions 7–12, YYMMDD in the 1900s).
func IDBirth(d string) (Date, bool) {
	var s string
	switch len(d) {
	case 18:
		s = d[6:14]
	case 15:
		s = "19" + d[6:12]
	default:
		return Date{}, false
	}
	return parseYYYYMMDD(s)
}

// IDMale reports the sex an 18-digit ID number records (odd 17th digit: male).
func IDMale(d string) bool { return len(d) == 18 && (d[16]-'0')%2 == 1 }

// parseYYYYMMDD reads a plausible date of birth between 1900 and 2099.
func parseYYYYMMDD(s string) (Date, bool) {
	if len(s) != 8 {
		return Date{}, false
	}
	for i := 0; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return Date{}, false
		}
	}
	d := Date{Year: atoi(s[:4]), Month: atoi(s[4:6]), Day: atoi(s[6:])}
	if d.Year < 1900 || d.Year > 2099 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
		return Date{}, false
	}
	return d, true
}

// Luhn reports whether the digit string d passes the Luhn check that bank card numbers carry.
func Luhn(d string) bool {
	if d == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		c := int(d[i]) - '0'
		if c < 0 || c > 9 {
			return false
		}
		if double {
			c *= 2
			if c > 9 {
				c -= 9
			}
		}
		sum += c
		double = !double
	}
	return sum%10 == 0
}

// LuhnDigit returns the digit that completes d to pass the Luhn check.
func LuhnDigit(d string) byte {
	for c := byte('0'); c <= '9'; c++ {
		if Luhn(d + string(c)) {
			return c
		}
	}
	return 0 // d is not all digits
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
