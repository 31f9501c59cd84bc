package content

// GuideEvent is the payload of the guide.published and guide.unpublished events.
type GuideEvent struct {
	Code        string `json:"code"`
	Version     int    `json:"version"`
	Major       bool   `json:"major"`                 // a major change moves public_updated_at and alerts followers
	ChangeNote  string `json:"change_note,omitempty"` // what changed, for followers
	Replacement string `json:"replacement,omitempty"` // on unpublish: the guide that replaces it
}
