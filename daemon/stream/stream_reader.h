// StreamReader: reads and verifies one domain stream from a ByteSource,
// record by record, so that a consumer can apply pages as they come yet
// commit nothing until the END record has proved the whole stream (its
// record count, its length and its digest).
//
// Every error says what is wrong and where (the byte offset and the record's
// number and type):
//   INVALID_ARGUMENT: not a domain stream at all (or an xl save image);
//   FAILED_PRECONDITION: a newer format version than this build reads;
//   DATA_LOSS: truncated, corrupted (a checksum, the digest, a length or a
//     field out of range), or records out of order.
// After an error the reader stays failed.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/stream/byte_stream.h"
#include "daemon/stream/stream_format.h"
#include "daemon/stream/stream_writer.h"
#include "xenia/v1/domain_stream.pb.h"

struct XXH3_state_s;

namespace xenia::stream {

// One verified record after the header.
struct StreamRecord {
  RecordType type = RecordType::kEnd;
  // Its number in the stream (the HEADER is 0) and the offset of its first
  // byte.
  int64_t index = 0;
  int64_t offset = 0;
  // kPages: the run, its round, and the pages' bytes (valid until the next
  // call to Next).
  int64_t first_page = 0;
  uint32_t page_count = 0;
  uint32_t round = 0;
  absl::string_view pages;
  // kGuestState.
  xenia::v1::StreamGuestState state;
  // kEnd: the verified totals and digest.
  StreamSummary summary;
};

class StreamReader {
 public:
  // `name` says what the stream is in errors ("image web1.xds", "the
  // migration stream from host-a").
  StreamReader(ByteSource& source, std::string name);
  ~StreamReader();
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Reads the preamble and the HEADER record.
  absl::StatusOr<xenia::v1::StreamHeader> ReadHeader();
  // The next record: PAGES, then one GUEST_STATE, then END (after which the
  // source must have ended too). Call after ReadHeader.
  absl::StatusOr<StreamRecord> Next();

  int64_t offset() const { return offset_; }
  // After Next has returned END: the verified totals and digest.
  const std::optional<StreamSummary>& summary() const { return summary_; }

 private:
  enum class Phase { kStart, kPages, kStated, kEnded, kFailed };

  // Reads exactly `n` bytes into `out`; fewer only at the source's end (the
  // count read is returned). The caller adds verified bytes to the digest.
  absl::StatusOr<size_t> ReadExact(char* out, size_t n);
  // Reads one record's head, payload and checksum into payload_, checking
  // the type's length limit and the checksum.
  absl::StatusOr<uint32_t> ReadRecord(int64_t* record_offset);
  absl::Status Fail(absl::Status status);
  // DATA_LOSS "<name> is truncated: ..." / "<name> is corrupted: ...".
  absl::Status Truncated(const std::string& where);
  absl::Status Corrupted(const std::string& what);
  // "record #3 (PAGES, at byte 4120)".
  std::string RecordAt(int64_t index, uint32_t type, int64_t offset) const;

  ByteSource& source_;
  const std::string name_;
  Phase phase_ = Phase::kStart;
  int64_t page_count_ = 0;
  uint32_t page_size_ = 0;
  int64_t offset_ = 0;
  int64_t index_ = 0;
  std::string buffer_;
  size_t buffer_pos_ = 0;
  std::string payload_;
  XXH3_state_s* digest_;
  XXH3_state_s* record_sum_;
  std::optional<StreamSummary> summary_;
};

}  // namespace xenia::stream
