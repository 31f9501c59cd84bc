package voice

import (
	"bytes"
	"encoding/binary"
	"math"
	"time"
)

// Format is an audio container recognised from its bytes.
type Format string

// The containers browsers record in (Chrome: WebM/Opus; Firefox: Ogg/Opus or WebM; Safari:
// MP4/AAC), plus WAV and bare ADTS AAC and MP3 frames that native apps send.
const (
	FormatWAV  Format = "wav"
	FormatOgg  Format = "ogg"
	FormatWebM Format = "webm"
	FormatMP4  Format = "mp4"
	FormatAAC  Format = "aac"
	FormatMP3  Format = "mp3"
)

// MIME is the media type of f, as sent to the transcription server with the file name.
func (f Format) MIME() string {
	switch f {
	case FormatWAV:
		return "audio/wav"
	case FormatOgg:
		return "audio/ogg"
	case FormatWebM:
		return "audio/webm"
	case FormatMP4:
		return "audio/mp4"
	case FormatAAC:
		return "audio/aac"
	case FormatMP3:
		return "audio/mpeg"
	}
	return "application/octet-stream"
}

// Sniff recognises the container of b from its first bytes, whatever the client declared: a
// Content-Type says what a client meant to send, the bytes what it sent. ok is false for
// anything that is not one of the formats above.
func Sniff(b []byte) (Format, bool) {
	switch {
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return FormatWAV, true
	case len(b) >= 4 && string(b[:4]) == "OggS":
		return FormatOgg, true
	case len(b) >= 4 && bytes.Equal(b[:4], []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return FormatWebM, true // EBML: WebM and Matroska
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return FormatMP4, true // MP4, M4A, 3GP
	case len(b) >= 3 && string(b[:3]) == "ID3":
		return FormatMP3, true
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xF6 == 0xF0:
		return FormatAAC, true // ADTS sync word, layer 0
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 && b[1]&0x06 != 0:
		return FormatMP3, true // MPEG audio frame sync, layer I–III
	}
	return "", false
}

// Duration reads how long the audio in b lasts from its container: the WAV header (byte rate
// and data size), the last Ogg page's granule position (48 kHz for Opus, the stream's rate for
// Vorbis), WebM's Segment Info duration or else the last block's timestamp (Chrome's recorder
// writes no duration), MP4's mvhd or mehd duration. known is false when the container does not
// say (bare AAC or MP3 frames, a fragmented MP4 without mehd): the caller then bounds the length
// by the size limit and by the duration the transcription server reports.
func Duration(f Format, b []byte) (d time.Duration, known bool) {
	var sec float64
	switch f {
	case FormatWAV:
		sec, known = wavDuration(b)
	case FormatOgg:
		sec, known = oggDuration(b)
	case FormatWebM:
		sec, known = webmDuration(b)
	case FormatMP4:
		sec, known = mp4Duration(b)
	}
	if !known || sec < 0 || math.IsNaN(sec) || sec > 1e7 {
		return 0, false
	}
	return time.Duration(sec * float64(time.Second)), true
}

// wavDuration walks the RIFF chunks for fmt (byte rate) and data (size). A streamed WAV (size
// 0 or 0xFFFFFFFF, as espeak-ng --stdout writes) counts the bytes actually there.
func wavDuration(b []byte) (float64, bool) {
	var byteRate uint32
	for i := 12; i+8 <= len(b); {
		id, size := string(b[i:i+4]), binary.LittleEndian.Uint32(b[i+4:i+8])
		body := i + 8
		switch id {
		case "fmt ":
			if body+12 <= len(b) {
				byteRate = binary.LittleEndian.Uint32(b[body+8 : body+12])
			}
		case "data":
			if byteRate == 0 {
				return 0, false
			}
			n := uint64(size)
			if avail := uint64(len(b) - body); size == 0 || size == 0xFFFFFFFF || n > avail {
				n = avail
			}
			return float64(n) / float64(byteRate), true
		}
		next := uint64(body) + uint64(size) + uint64(size&1)
		if next > uint64(len(b)) {
			return 0, false
		}
		i = int(next)
	}
	return 0, false
}

// oggDuration reads the granule position of the last page and the stream's clock from its
// first packet (OpusHead: 48 kHz less the pre-skip; Vorbis: its sample rate).
func oggDuration(b []byte) (float64, bool) {
	if len(b) < 28+19 {
		return 0, false
	}
	first := b[28:] // the first page's first packet (single-segment header page)
	var rate float64
	var preSkip uint16
	switch {
	case len(first) >= 12 && string(first[:8]) == "OpusHead":
		rate, preSkip = 48000, binary.LittleEndian.Uint16(first[10:12])
	case len(first) >= 16 && string(first[1:7]) == "vorbis":
		rate = float64(binary.LittleEndian.Uint32(first[12:16]))
	default:
		return 0, false
	}
	last := bytes.LastIndex(b, []byte("OggS"))
	if last < 0 || last+14 > len(b) || rate == 0 {
		return 0, false
	}
	g := int64(binary.LittleEndian.Uint64(b[last+6 : last+14]))
	if g < 0 { // -1: no packet ends on this page; take the page before
		prev := bytes.LastIndex(b[:last], []byte("OggS"))
		if prev < 0 {
			return 0, false
		}
		g = int64(binary.LittleEndian.Uint64(b[prev+6 : prev+14]))
	}
	return float64(g-int64(preSkip)) / rate, true
}

// EBML element ids used by webmDuration.
const (
	ebmlSegment      = 0x18538067
	ebmlInfo         = 0x1549A966
	ebmlTimecodeScal = 0x2AD7B1
	ebmlDuration     = 0x4489
	ebmlCluster      = 0x1F43B675
	ebmlTimecode     = 0xE7
	ebmlSimpleBlock  = 0xA3
	ebmlBlockGroup   = 0xA0
	ebmlBlock        = 0xA1
)

// webmDuration walks the EBML tree flatly, descending into Segment, Info, Cluster and
// BlockGroup (whose sizes a live recorder leaves unknown) and skipping everything else.
func webmDuration(b []byte) (float64, bool) {
	scale := 1e6 // TimecodeScale default: 1 ms
	var infoDur float64
	var cluster, maxBlock int64 = 0, -1
	for i := 0; i < len(b); {
		id, n := ebmlID(b[i:])
		if n == 0 {
			break
		}
		size, m, unknown := ebmlSize(b[i+n:])
		if m == 0 {
			break
		}
		body := i + n + m
		switch id {
		case ebmlSegment, ebmlInfo, ebmlCluster, ebmlBlockGroup:
			i = body // descend
			continue
		}
		if unknown || uint64(body)+size > uint64(len(b)) {
			break // truncated or an unknown size we cannot skip
		}
		v := b[body : body+int(size)]
		switch id {
		case ebmlTimecodeScal:
			if s := ebmlUint(v); s > 0 {
				scale = float64(s)
			}
		case ebmlDuration:
			switch len(v) {
			case 4:
				infoDur = float64(math.Float32frombits(binary.BigEndian.Uint32(v)))
			case 8:
				infoDur = math.Float64frombits(binary.BigEndian.Uint64(v))
			}
		case ebmlTimecode:
			cluster = int64(ebmlUint(v))
		case ebmlSimpleBlock, ebmlBlock:
			if _, tn := ebmlID(v); tn > 0 && len(v) >= tn+2 { // track number (a vint), then int16
				rel := int64(int16(binary.BigEndian.Uint16(v[tn : tn+2])))
				maxBlock = max(maxBlock, cluster+rel)
			}
		}
		i = body + int(size)
	}
	switch {
	case infoDur > 0:
		return infoDur * scale / 1e9, true
	case maxBlock >= 0:
		return float64(maxBlock) * scale / 1e9, true
	}
	return 0, false
}

// ebmlID reads an element id (a vint with its marker kept); n is 0 when b is too short.
func ebmlID(b []byte) (uint32, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	l := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		l++
	}
	if l > 4 || len(b) < l {
		return 0, 0
	}
	var id uint32
	for _, c := range b[:l] {
		id = id<<8 | uint32(c)
	}
	return id, l
}

// ebmlSize reads an element size (a vint without its marker); all ones means unknown.
func ebmlSize(b []byte) (size uint64, n int, unknown bool) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false
	}
	l := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		l++
	}
	if len(b) < l {
		return 0, 0, false
	}
	size = uint64(b[0] & (0xFF >> l))
	allOnes := size == uint64(0xFF>>l)
	for _, c := range b[1:l] {
		size = size<<8 | uint64(c)
		allOnes = allOnes && c == 0xFF
	}
	return size, l, allOnes
}

func ebmlUint(v []byte) uint64 {
	var x uint64
	for _, c := range v {
		x = x<<8 | uint64(c)
	}
	return x
}

// mp4Duration finds moov/mvhd (timescale and duration) or, for a fragmented file whose mvhd
// says 0, moov/mvex/mehd (the fragments' total duration, in the same timescale).
func mp4Duration(b []byte) (float64, bool) {
	moov, ok := mp4Box(b, "moov")
	if !ok {
		return 0, false
	}
	mvhd, ok := mp4Box(moov, "mvhd")
	if !ok || len(mvhd) < 20 {
		return 0, false
	}
	var scale uint32
	var dur uint64
	if mvhd[0] == 1 { // version 1: 64-bit times
		if len(mvhd) < 32 {
			return 0, false
		}
		scale, dur = binary.BigEndian.Uint32(mvhd[20:24]), binary.BigEndian.Uint64(mvhd[24:32])
	} else {
		scale, dur = binary.BigEndian.Uint32(mvhd[12:16]), uint64(binary.BigEndian.Uint32(mvhd[16:20]))
	}
	if scale == 0 {
		return 0, false
	}
	if dur == 0 || dur == 0xFFFFFFFF {
		dur = 0
		if mvex, ok := mp4Box(moov, "mvex"); ok {
			if mehd, ok := mp4Box(mvex, "mehd"); ok && len(mehd) >= 8 {
				if mehd[0] == 1 && len(mehd) >= 12 {
					dur = binary.BigEndian.Uint64(mehd[4:12])
				} else {
					dur = uint64(binary.BigEndian.Uint32(mehd[4:8]))
				}
			}
		}
		if dur == 0 {
			return 0, false
		}
	}
	return float64(dur) / float64(scale), true
}

// mp4Box returns the body of the first box of type typ among the boxes of b.
func mp4Box(b []byte, typ string) ([]byte, bool) {
	for i := 0; i+8 <= len(b); {
		size := uint64(binary.BigEndian.Uint32(b[i : i+4]))
		hdr := uint64(8)
		switch size {
		case 1:
			if i+16 > len(b) {
				return nil, false
			}
			size, hdr = binary.BigEndian.Uint64(b[i+8:i+16]), 16
		case 0:
			size = uint64(len(b) - i) // to the end of the file
		}
		if size < hdr || uint64(i)+size > uint64(len(b)) {
			return nil, false
		}
		if string(b[i+4:i+8]) == typ {
			return b[uint64(i)+hdr : uint64(i)+size], true
		}
		i += int(size)
	}
	return nil, false
}
