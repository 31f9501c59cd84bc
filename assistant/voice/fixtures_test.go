package voice

import (
	"bytes"
	"encoding/binary"
	"math"
)

// Audio fixtures built byte by byte, so that each container's length field is under the test's
// control.

// wavBytes is a 16 kHz mono 16-bit WAV of the given length: a 440 Hz tone.
func wavBytes(seconds float64) []byte {
	const rate = 16000
	n := int(seconds * rate)
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))        // PCM
	le(uint16(1))        // mono
	le(uint32(rate))     // sample rate
	le(uint32(rate * 2)) // byte rate
	le(uint16(2))        // block align
	le(uint16(16))       // bits
	b.WriteString("data")
	le(uint32(2 * n))
	for i := 0; i < n; i++ {
		le(int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return b.Bytes()
}

// oggPage is one Ogg page with a single segment table entry per 255 bytes of body.
func oggPage(granule int64, seq uint32, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("OggS")
	b.WriteByte(0)
	b.WriteByte(0)
	binary.Write(&b, binary.LittleEndian, granule)
	binary.Write(&b, binary.LittleEndian, uint32(1)) // serial
	binary.Write(&b, binary.LittleEndian, seq)
	binary.Write(&b, binary.LittleEndian, uint32(0)) // CRC (not checked by Duration)
	var segs []byte
	for n := len(body); ; n -= 255 {
		if n >= 255 {
			segs = append(segs, 255)
			continue
		}
		segs = append(segs, byte(n))
		break
	}
	b.WriteByte(byte(len(segs)))
	b.Write(segs)
	b.Write(body)
	return b.Bytes()
}

// oggOpusBytes is an Ogg Opus stream whose last page ends at seconds (48 kHz granule, 312
// samples pre-skip, as libopus writes).
func oggOpusBytes(seconds float64) []byte {
	head := []byte("OpusHead")
	head = append(head, 1, 1)
	head = binary.LittleEndian.AppendUint16(head, 312)
	head = binary.LittleEndian.AppendUint32(head, 48000)
	head = append(head, 0, 0, 0)
	var b bytes.Buffer
	b.Write(oggPage(0, 0, head))
	b.Write(oggPage(0, 1, []byte("OpusTags\x00\x00\x00\x00\x00\x00\x00\x00")))
	b.Write(oggPage(int64(seconds*48000)/2, 2, bytes.Repeat([]byte{0xfc}, 300)))
	b.Write(oggPage(int64(seconds*48000)+312, 3, bytes.Repeat([]byte{0xfc}, 300)))
	return b.Bytes()
}

// ebml encodes one element with a known size.
func ebml(id uint32, body []byte) []byte {
	var out []byte
	switch {
	case id > 0xFFFFFF:
		out = binary.BigEndian.AppendUint32(out, id)
	case id > 0xFFFF:
		out = append(out, byte(id>>16), byte(id>>8), byte(id))
	case id > 0xFF:
		out = append(out, byte(id>>8), byte(id))
	default:
		out = append(out, byte(id))
	}
	sz := make([]byte, 8)
	binary.BigEndian.PutUint64(sz, uint64(len(body)))
	sz[0] = 0x01 // marker of an 8-byte size vint
	out = append(out, sz...)
	return append(out, body...)
}

// webmBytes is a WebM the way Chrome's MediaRecorder writes it: Segment and Clusters of
// unknown size, no duration in Info (withInfoDuration adds one), blocks every 20 ms.
func webmBytes(seconds float64, withInfoDuration bool) []byte {
	var b bytes.Buffer
	b.Write(ebml(0x1A45DFA3, ebml(0x4282, []byte("webm"))))
	b.Write([]byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}) // Segment, unknown size
	info := ebml(0x2AD7B1, []byte{0x0F, 0x42, 0x40})                                        // TimecodeScale 1e6
	if withInfoDuration {
		info = append(info, ebml(0x4489, binary.BigEndian.AppendUint64(nil, math.Float64bits(seconds*1000)))...)
	}
	b.Write(ebml(0x1549A966, info))
	b.Write(ebml(0x1654AE6B, []byte{0xAE, 0x80})) // Tracks (empty TrackEntry)
	ms := int(seconds * 1000)
	for c := 0; c <= ms; c += 10000 { // a cluster every 10 s
		b.Write([]byte{0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
		b.Write(ebml(0xE7, binary.BigEndian.AppendUint32(nil, uint32(c))))
		for rel := 0; rel < 10000 && c+rel <= ms; rel += 20 {
			blk := []byte{0x81} // track 1
			blk = binary.BigEndian.AppendUint16(blk, uint16(int16(rel)))
			blk = append(blk, 0x80, 0xfc, 0xff, 0xfe)
			b.Write(ebml(0xA3, blk))
		}
	}
	return b.Bytes()
}

// mp4Bytes is an MP4 with ftyp and moov/mvhd (timescale 1000) saying seconds.
func mp4Bytes(seconds float64) []byte {
	box := func(typ string, body []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
		return append(append(out, typ...), body...)
	}
	mvhd := make([]byte, 100)
	binary.BigEndian.PutUint32(mvhd[12:], 1000)
	binary.BigEndian.PutUint32(mvhd[16:], uint32(seconds*1000))
	out := box("ftyp", []byte("M4A \x00\x00\x00\x00isomM4A "))
	out = append(out, box("moov", box("mvhd", mvhd))...)
	return append(out, box("mdat", bytes.Repeat([]byte{0x21}, 64))...)
}
