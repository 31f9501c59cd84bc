package content

import (
	"context"
	"sort"
	"strings"
	"time"

	"shebao/internal/apperr"
)

// Reading the workflow for the editors' console: versions, work lists and documents.

// GetVersion returns one version of code with its body.
func (s *Service) GetVersion(ctx context.Context, kind Kind, code string, version int) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	v, err := getVersion(ctx, s.db, k, code, version)
	if err == nil && v == nil {
		if _, err := docState(ctx, s.db, k, code); err != nil {
			return nil, err
		}
		return nil, apperr.Newf(apperr.VersionNotFound, "%s %s 没有第%d版。", k.label, code, version)
	}
	return v, err
}

// WorkingVersion returns the version of code that is being worked on, with its body, or a
// version_not_found error when there is none.
func (s *Service) WorkingVersion(ctx context.Context, kind Kind, code string) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	v, err := getWorking(ctx, s.db, k, code)
	if err == nil && v == nil {
		if _, err := docState(ctx, s.db, k, code); err != nil {
			return nil, err
		}
		return nil, apperr.Newf(apperr.VersionNotFound, "%s %s 当前没有正在编辑的版本。", k.label, code)
	}
	return v, err
}

// History returns every version of code, newest first, without bodies.
func (s *Service) History(ctx context.Context, kind Kind, code string) ([]Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if _, err := docState(ctx, s.db, k, code); err != nil {
		return nil, err
	}
	return listVersions(ctx, s.db, k, queueHistory, code)
}

// Queue names a work list of the console.
type Queue string

// The work lists.
const (
	QueueReview    Queue = "review"    // submitted, waiting for a reviewer
	QueuePublish   Queue = "publish"   // approved, waiting for a publisher
	QueueScheduled Queue = "scheduled" // waiting for their time
	QueueRetro     Queue = "retro"     // force-published, waiting for a retrospective review

	queueHistory Queue = "history" // every version of one code, newest first
	queueWorking Queue = "working" // every working version
)

// Queue returns the versions in one work list, oldest first.
func (s *Service) Queue(ctx context.Context, kind Kind, q Queue) ([]Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	switch q {
	case QueueReview, QueuePublish, QueueScheduled, QueueRetro:
		return listVersions(ctx, s.db, k, q)
	}
	return nil, apperr.Newf(apperr.InvalidParameter, "未知的工作队列 %q，应为 review、publish、scheduled 或 retro。", string(q))
}

// Summary is one document in the console's list: its state online and its working version.
type Summary struct {
	Kind             Kind      `json:"kind"`
	Code             string    `json:"code"`
	Title            string    `json:"title"`
	State            string    `json:"state"` // draft (never published), published, unpublished, archived
	PublishedVersion int       `json:"published_version,omitempty"`
	LatestVersion    int       `json:"latest_version"`
	Working          *Version  `json:"working,omitempty"`
	UpdatedAt        time.Time `json:"updated_at"`
	StateReason      string    `json:"state_reason,omitempty"`
	Replacement      string    `json:"replacement,omitempty"`
}

// DocFilter selects documents for the console's list.
type DocFilter struct {
	// Status matches the document state (published, unpublished, archived) or the status of its
	// working version (draft, submitted, approved, scheduled); empty matches all but archived.
	Status string
	Q      string // case-insensitive substring of the code or title
}

// Documents lists documents of one kind with their working versions, sorted by code.
func (s *Service) Documents(ctx context.Context, kind Kind, f DocFilter) ([]Summary, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	out, err := summaries(ctx, s.db, k)
	if err != nil {
		return nil, err
	}
	working, err := listVersions(ctx, s.db, k, queueWorking)
	if err != nil {
		return nil, err
	}
	byCode := map[string]*Version{}
	for i := range working {
		byCode[working[i].Code] = &working[i]
	}
	for i := range out {
		sm := &out[i]
		sm.Working = byCode[sm.Code]
		if sm.Working != nil && sm.Working.Title != "" {
			sm.Title = sm.Working.Title
		}
		if sm.Title == "" {
			// Titles of documents never published come from their latest version.
			body, err := versionBody(ctx, s.db, k, sm.Code, sm.LatestVersion)
			if err != nil {
				return nil, err
			}
			if body != "" {
				sm.Title = k.title([]byte(body))
			}
		}
	}
	q := strings.ToLower(strings.TrimSpace(f.Q))
	filtered := out[:0]
	for _, sm := range out {
		if !matchStatus(sm, f.Status) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(sm.Code), q) && !strings.Contains(strings.ToLower(sm.Title), q) {
			continue
		}
		filtered = append(filtered, sm)
	}
	sort.SliceStable(filtered, func(i, j int) bool { return filtered[i].Code < filtered[j].Code })
	return filtered, nil
}

func matchStatus(sm Summary, st string) bool {
	switch st {
	case "":
		return sm.State != "archived"
	case "all":
		return true
	case "draft", "submitted", "approved", "scheduled":
		return sm.Working != nil && string(sm.Working.Status) == st
	case "working":
		return sm.Working != nil
	}
	return sm.State == st
}

// ValidStatusFilter reports whether st is a value DocFilter.Status accepts.
func ValidStatusFilter(st string) bool {
	switch st {
	case "", "all", "working", "draft", "submitted", "approved", "scheduled", "published", "unpublished", "archived":
		return true
	}
	return false
}

// Document returns one document's summary, with the bodies of its working and published
// versions for the console's edit screen.
func (s *Service) Document(ctx context.Context, kind Kind, code string) (*Summary, *Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, nil, err
	}
	sm, err := summary(ctx, s.db, k, code)
	if err != nil {
		return nil, nil, err
	}
	if w, err := s.WorkingVersion(ctx, kind, code); err == nil {
		sm.Working, sm.Title = w, w.Title
	} else if !apperr.Is(err, apperr.VersionNotFound) {
		return nil, nil, err
	}
	var pub *Version
	if sm.PublishedVersion > 0 {
		if pub, err = s.GetVersion(ctx, kind, code, sm.PublishedVersion); err != nil {
			return nil, nil, err
		}
		if sm.Working == nil {
			sm.Title = pub.Title
		}
	}
	return sm, pub, nil
}
