// Package content holds the service guides (办事指南) and forms, their versions, the editorial
// workflow that publishes them, and the seed corpus loaded at first start.
//
// Where to look:
//   - guide.go, forms.go, validate.go: the documents and their validation.
//   - version.go: versions, the two kinds of document, ETags.
//   - workflow.go: the transition table (who may move a version from which status to which, with
//     what reason, under the two-person rule) and the one function that runs it.
//   - workflow_store.go: every SQL statement of the workflow; guides and forms share one version
//     store (tables documents and document_versions, keyed by kind).
//   - console.go: the editors' lists; schedule.go: scheduled publishing (RunDue).
//   - importer.go, decode.go: bulk import, and the bounds a file is checked against before decoding.
//   - audit.go: the append-only audit log; service.go: the published snapshot the public API serves.
//   - text.go: what counts as an empty reason (invisible and format characters removed).
//   - actions.go: which workflow steps each person may take on a version (the console's buttons).
//   - public.go: the public view of a published guide (editors' notes hidden); city.go: city variants.
//
// The retirement-age rule is not here but in internal/retirement.
package content
