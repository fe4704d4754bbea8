// The domain stream format's constants: the preamble, the record types and
// their limits (docs/design/domain-stream-format.md describes the bytes).
// Shared by StreamWriter and StreamReader; no state, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace xenia::stream {

// "\x89XENIA\r\n": a high byte first (so no text tool takes it for text),
// then a CR LF that a newline-mangling transfer would change.
inline constexpr char kMagic[8] = {'\x89', 'X', 'E', 'N', 'I', 'A', '\r', '\n'};
inline constexpr uint32_t kFormatVersion = 1;
// Magic, version, flags.
inline constexpr size_t kPreambleSize = 16;
// Type, flags, payload length.
inline constexpr size_t kRecordHeadSize = 16;
inline constexpr size_t kChecksumSize = 8;

// xl's save images start with this (tools/xl/xl_saverestore.c).
inline constexpr absl::string_view kXlSaveMagic = "Xen saved domain, xl format\n";

enum class RecordType : uint32_t {
  kHeader = 1,
  kPages = 2,
  kGuestState = 3,
  kEnd = 0xFFFFFFFFu,
};

// A PAGES record's fields before its page data: first page, page count,
// round.
inline constexpr size_t kPagesPrefixSize = 16;
inline constexpr uint32_t kMaxPagesPerRecord = 1024;
inline constexpr uint32_t kMaxPageSize = 65536;
// The END record's payload: record count, byte count, 128-bit digest.
inline constexpr size_t kEndPayloadSize = 32;
// Largest payload of a HEADER or GUEST_STATE record.
inline constexpr uint64_t kMaxMessagePayload = 1 << 20;

// "HEADER", "PAGES", "GUEST_STATE", "END", or "type 0x…" for others.
std::string RecordTypeName(uint32_t type);

// The largest payload a record of `type` may have with pages of
// `page_size` bytes; 0 for an unknown type.
uint64_t MaxPayload(uint32_t type, uint32_t page_size);

}  // namespace xenia::stream
