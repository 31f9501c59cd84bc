package content

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"shebao/internal/apperr"
)

//go:embed seed
var seedFS embed.FS

// SeedFS returns the embedded seed corpus: one YAML file per category under seed/.
func SeedFS() fs.FS { sub, _ := fs.Sub(seedFS, "seed"); return sub }

// FileError says which file (and guide) an import failed on.
type FileError struct {
	File string
	Code string // empty when the file itself could not be read or parsed
	Err  error
}

func (e *FileError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s: 事项 %s: %v", e.File, e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// ParseGuides decodes one seed/import document. JSON is accepted as a SeedFile object, a list of
// guides, or one guide per line (the output of `shebao export`); anything else is read as YAML.
// Unknown fields are rejected so that a typo in an element name is not silently dropped.
func ParseGuides(name string, data []byte) ([]Guide, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &FileError{File: name, Err: errors.New("文件为空")}
	}
	if trimmed[0] == '[' || trimmed[0] == '{' {
		if err := checkJSON(trimmed, DefaultImportLimits.forSize(len(data))); err != nil {
			return nil, err
		}
	}
	switch trimmed[0] {
	case '[':
		var gs []Guide
		if err := strictJSON(trimmed, &gs); err != nil {
			return nil, &FileError{File: name, Err: fmt.Errorf("JSON 格式错误: %w", err)}
		}
		return gs, nil
	case '{':
		var sf SeedFile
		if err := strictJSON(trimmed, &sf); err == nil && sf.Guides != nil {
			return sf.Guides, nil
		}
		var gs []Guide
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		for dec.More() {
			var g Guide
			if err := dec.Decode(&g); err != nil {
				return nil, &FileError{File: name, Err: fmt.Errorf("JSON 格式错误（第 %d 个事项）: %w", len(gs)+1, err)}
			}
			gs = append(gs, g)
		}
		return gs, nil
	}
	var sf SeedFile
	if err := decodeYAML(data, &sf, DefaultImportLimits.forSize(len(data))); err != nil {
		if _, ok := apperr.As(err); ok {
			return nil, err
		}
		return nil, &FileError{File: name, Err: fmt.Errorf("YAML 格式错误: %w", err)}
	}
	return sf.Guides, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// CheckSet validates a whole set of guides as one unit: every guide valid, no duplicate codes, and
// every related code present in the set or in known (codes that already exist elsewhere). files
// maps a guide index to the file it came from, for error messages; it may be nil.
func CheckSet(gs []Guide, files []string, known map[string]bool) error {
	var errs []error
	fileOf := func(i int) string {
		if i < len(files) {
			return files[i]
		}
		return "-"
	}
	seen := map[string]int{}
	for i := range gs {
		g := &gs[i]
		if err := Validate(g); err != nil {
			errs = append(errs, &FileError{File: fileOf(i), Code: g.Code, Err: err})
		}
		if j, dup := seen[g.Code]; dup && g.Code != "" {
			errs = append(errs, &FileError{File: fileOf(i), Code: g.Code,
				Err: fmt.Errorf("事项编码重复（已在 %s 中出现）", fileOf(j))})
		}
		seen[g.Code] = i
	}
	for i := range gs {
		for _, r := range gs[i].Related {
			if _, ok := seen[r]; !ok && !known[r] {
				errs = append(errs, &FileError{File: fileOf(i), Code: gs[i].Code,
					Err: fmt.Errorf("相关事项 %s 不存在", r)})
			}
		}
	}
	return errors.Join(errs...)
}

// LoadSeedBundle reads the seed corpus like LoadSeed, with the forms of its files: guides and
// forms are checked as one set (every form valid, of a guide in the set, codes unique).
func LoadSeedBundle(fsys fs.FS) (Bundle, error) {
	gs, err := LoadSeed(fsys)
	if err != nil {
		return Bundle{}, err
	}
	b := Bundle{Guides: gs}
	guides := map[string]bool{}
	for _, g := range gs {
		guides[g.Code] = true
	}
	names, err := seedFiles(fsys, ".yaml", ".yml")
	if err != nil {
		return b, err
	}
	var errs []error
	seen := map[string]bool{}
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return b, &FileError{File: n, Err: err}
		}
		var sf SeedFile
		if err := decodeYAML(data, &sf, DefaultImportLimits.forSize(len(data))); err != nil {
			return b, &FileError{File: n, Err: err}
		}
		for _, f := range sf.Forms {
			if err := ValidateForm(&f); err != nil {
				errs = append(errs, &FileError{File: n, Code: f.Code, Err: err})
			}
			if !guides[f.Guide] {
				errs = append(errs, &FileError{File: n, Code: f.Code, Err: fmt.Errorf("所属事项 %s 不存在", f.Guide)})
			}
			if seen[f.Code] {
				errs = append(errs, &FileError{File: n, Code: f.Code, Err: errors.New("表单编码重复")})
			}
			seen[f.Code] = true
			b.Forms = append(b.Forms, f)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Bundle{}, err
	}
	return b, nil
}

// seedFiles lists the files of fsys whose extension (in any case) is one of exts, sorted.
func seedFiles(fsys fs.FS, exts ...string) ([]string, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && slices.Contains(exts, strings.ToLower(path.Ext(p))) {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	return names, err
}

// LoadSeed reads every *.yaml and *.json file in fsys (sorted by name), and checks the set. Either
// all guides are returned or none.
func LoadSeed(fsys fs.FS) ([]Guide, error) {
	names, err := seedFiles(fsys, ".yaml", ".yml", ".json")
	if err != nil {
		return nil, err
	}
	var all []Guide
	var files []string
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, &FileError{File: n, Err: err}
		}
		gs, err := ParseGuides(n, data)
		if err != nil {
			return nil, err
		}
		for range gs {
			files = append(files, n)
		}
		all = append(all, gs...)
	}
	if err := CheckSet(all, files, nil); err != nil {
		return nil, err
	}
	return all, nil
}
