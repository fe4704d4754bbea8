#include "daemon/stream/stream_format.h"

#include "absl/strings/str_format.h"

namespace xenia::stream {

std::string RecordTypeName(uint32_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::kHeader:
      return "HEADER";
    case RecordType::kPages:
      return "PAGES";
    case RecordType::kGuestState:
      return "GUEST_STATE";
    case RecordType::kEnd:
      return "END";
  }
  return absl::StrFormat("type 0x%08x", type);
}

uint64_t MaxPayload(uint32_t type, uint32_t page_size) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::kHeader:
    case RecordType::kGuestState:
      return kMaxMessagePayload;
    case RecordType::kPages:
      return kPagesPrefixSize + uint64_t{kMaxPagesPerRecord} * page_size;
    case RecordType::kEnd:
      return kEndPayloadSize;
  }
  return 0;
}

}  // namespace xenia::stream
