package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"shebao/internal/testutil"
)

// A damaged index is moved aside and rebuilt instead of failing (or panicking) at every start:
// bytes overwritten in the middle of a segment (caught by the segment's checksum), damage the
// checksum does not see that makes bleve panic while opening, and damage bleve only reads after
// opening.
func TestDamagedIndexIsRebuilt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, b []byte)
		// raw checks, on a copy, that bleve itself fails on this damage, so that the test keeps
		// testing the recovery and not a damage bleve has learnt to survive.
		raw func(t *testing.T, dir string)
	}{
		{
			name: "bytes overwritten in the middle",
			damage: func(t *testing.T, b []byte) {
				mid := len(b) / 2
				for i := mid; i < min(len(b)-4, mid+4096); i++ {
					b[i] ^= 0xa5
				}
			},
		},
		{
			name: "offsets past the end, checksum recomputed: bleve panics on open",
			damage: func(t *testing.T, b []byte) {
				n := len(b)
				// The footer's last offset (sections index in zap v17, doc values in v16).
				binary.BigEndian.PutUint64(b[n-20:], uint64(n)*3)
				fixChecksum(b)
			},
			raw: func(t *testing.T, dir string) {
				if err := recovered(func() error { _, err := bleve.Open(dir); return err }); err == nil {
					t.Fatal("bleve opened the damaged segment: the test no longer exercises a panicking open")
				}
			},
		},
		{
			name: "stored-field offsets damaged, checksum recomputed: bleve panics on the first read",
			damage: func(t *testing.T, b []byte) {
				n := len(b)
				numDocs, stored := storedIndex(t, b)
				for d := range numDocs {
					binary.BigEndian.PutUint64(b[stored+8*d:], uint64(n)*5)
				}
				fixChecksum(b)
			},
			raw: func(t *testing.T, dir string) {
				var idx bleve.Index
				if err := recovered(func() (err error) { idx, err = bleve.Open(dir); return err }); err != nil {
					t.Fatalf("bleve did not open the index (%v): the test no longer exercises a lazy read", err)
				}
				err := recovered(func() error {
					_, err := idx.Search(bleve.NewSearchRequest(bleve.NewMatchAllQuery()))
					return err
				})
				if err == nil {
					t.Fatal("bleve read the damaged stored fields: the test no longer exercises a failing first read")
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			guides := seedGuides(t)
			s := mustOpen(t, Options{Dir: dir})
			if err := s.Rebuild(ctx, guides); err != nil {
				t.Fatal(err)
			}
			index := s.idxPath
			s.Close()
			zs, _ := filepath.Glob(filepath.Join(index, "store", "*.zap"))
			if len(zs) != 1 {
				t.Fatalf("segments after a rebuild: %v, want one", zs)
			}
			b, err := os.ReadFile(zs[0])
			if err != nil {
				t.Fatal(err)
			}
			tc.damage(t, b)
			if err := os.WriteFile(zs[0], b, 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.raw != nil {
				cp := t.TempDir()
				if err := os.CopyFS(cp, os.DirFS(index)); err != nil {
					t.Fatal(err)
				}
				tc.raw(t, cp)
			}

			logs := &syncBuffer{}
			s, err = Open(ctx, Options{Dir: dir, Log: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatalf("open a damaged index: %v", err)
			}
			defer s.Close()
			if s.Ready() || !s.NeedsRebuild() {
				t.Fatalf("damaged index: Ready=%v NeedsRebuild=%v, want false, true", s.Ready(), s.NeedsRebuild())
			}
			if n := strings.Count(logs.String(), `msg="search index damaged`); n != 1 {
				t.Errorf("damage logged %d times, want once:\n%s", n, logs)
			}
			moved, _ := filepath.Glob(filepath.Join(dir, "damaged-*", "store", filepath.Base(zs[0])))
			if len(moved) != 1 {
				t.Errorf("damaged index not moved aside: %v", moved)
			}
			if _, err := os.Stat(index); !os.IsNotExist(err) {
				t.Errorf("damaged index still in place: %v", err)
			}

			if err := s.Rebuild(ctx, guides); err != nil {
				t.Fatal(err)
			}
			resp, err := s.Search(ctx, Request{Query: "社保卡丢了"})
			if err != nil || len(resp.Results) == 0 || resp.Results[0].Title != "社会保障卡挂失与解挂" {
				t.Fatalf("search after the rebuild: %v %+v", err, resp)
			}
			s.Close()

			// The next start opens the rebuilt index and says nothing about damage.
			logs = &syncBuffer{}
			s = mustOpen(t, Options{Dir: dir, Log: slog.New(slog.NewTextHandler(logs, nil))})
			if !s.Ready() || s.NeedsRebuild() || strings.Contains(logs.String(), `msg="search index damaged`) {
				t.Errorf("reopen after the rebuild: Ready=%v NeedsRebuild=%v\n%s", s.Ready(), s.NeedsRebuild(), logs)
			}
		})
	}
}

// Only the newest keepDamaged damaged indexes are kept.
func TestDamagedIndexesAreBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := &Service{opts: Options{Dir: dir}, log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	for i := range keepDamaged + 2 {
		p := filepath.Join(dir, "index-"+string(rune('a'+i)))
		if err := os.MkdirAll(p, 0o750); err != nil {
			t.Fatal(err)
		}
		s.setAside(p, errDamaged)
	}
	ds, _ := filepath.Glob(filepath.Join(dir, "damaged-*"))
	if len(ds) != keepDamaged {
		t.Errorf("damaged directories: %v, want %d", ds, keepDamaged)
	}
}

// storedIndex reads the number of documents and the offset of the stored-field index from a zap
// segment's footer (which ends: … num docs, stored index offset, …, chunk mode, version, CRC).
func storedIndex(t *testing.T, b []byte) (numDocs, offset uint64) {
	n := len(b)
	switch v := binary.BigEndian.Uint32(b[n-8:]); v {
	case 16:
		return binary.BigEndian.Uint64(b[n-52:]), binary.BigEndian.Uint64(b[n-44:])
	case 17:
		return binary.BigEndian.Uint64(b[n-36:]), binary.BigEndian.Uint64(b[n-28:])
	default:
		t.Fatalf("zap segment version %d: teach storedIndex its footer", v)
		return 0, 0
	}
}

// fixChecksum rewrites a zap segment's trailing CRC-32 over the bytes before it.
func fixChecksum(b []byte) {
	binary.BigEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer = testutil.LogBuffer
