package content

import (
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// Representation is one serialised form of a published guide (the province's, or one city's)
// with its own strong validator, so that a cache never serves one city's body for another.
type Representation struct {
	JSON []byte
	ETag string
}

// cityGuide is the API body of a guide asked for one city: the guide (with the city's variant
// applied when there is one) and whether the city has information of its own.
type cityGuide struct {
	Guide
	City         string `json:"city"`                  // the city asked for
	CitySpecific bool   `json:"city_specific"`         // false: the province's guide, no variant for the city
	CityNotice   string `json:"city_notice,omitempty"` // tells the citizen so, in Chinese
}

// ValidCityName reports whether s can name a city or district (地市/区县): 2 to 20 Chinese
// characters. Unknown but well-formed names are answered with the province's guide.
func ValidCityName(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 20 {
		return false
	}
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// NoCityNotice is what a citizen reads when the guide has nothing specific to their city.
func NoCityNotice(city string) string {
	return "暂无" + city + "的专门办理信息，以下为全省通用的办事指南，具体可咨询当地经办机构或拨打12333。"
}

// buildCities serialises the guide once for every city that has a variant.
func (p *Published) buildCities() error {
	for _, v := range p.Guide.Variants {
		if _, done := p.cities[v.City]; done {
			continue
		}
		g, _ := p.Guide.ForCity(v.City)
		body, err := json.Marshal(cityGuide{Guide: g, City: v.City, CitySpecific: true})
		if err != nil {
			return err
		}
		if p.cities == nil {
			p.cities = map[string]*Representation{}
		}
		p.cities[v.City] = &Representation{JSON: body, ETag: etagOf(body)}
	}
	return nil
}

// ForCity returns the guide as served for city: with the city's variant applied when it has
// one, otherwise the province's guide marked city_specific=false with a notice. Every city's
// body, and so its ETag, differs from the province's and from every other city's.
func (p *Published) ForCity(city string) *Representation {
	if r, ok := p.cities[city]; ok {
		return r
	}
	// The province's body with three fields appended, instead of encoding the guide again.
	c, _ := json.Marshal(city)
	n, _ := json.Marshal(NoCityNotice(city))
	body := make([]byte, 0, len(p.JSON)+len(c)+len(n)+64)
	body = append(body, p.JSON[:len(p.JSON)-1]...)
	body = append(body, `,"city":`...)
	body = append(body, c...)
	body = append(body, `,"city_specific":false,"city_notice":`...)
	body = append(body, n...)
	body = append(body, '}')
	return &Representation{JSON: body, ETag: etagOf(body)}
}
