#include "daemon/stream/stream_writer.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/stream/fast_xxhash.h"
#include "daemon/stream/little_endian.h"
#include "daemon/stream/stream_format.h"

namespace xenia::stream {

StreamWriter::StreamWriter(ByteSink& sink)
    : sink_(sink), digest_(XXH3_createState()), record_sum_(XXH3_createState()) {
  XXH3_128bits_reset(digest_);
}

StreamWriter::~StreamWriter() {
  XXH3_freeState(digest_);
  XXH3_freeState(record_sum_);
}

absl::Status StreamWriter::WriteHeader(const xenia::v1::StreamHeader& header) {
  if (phase_ != Phase::kStart) {
    return absl::FailedPreconditionError("StreamWriter: the header is already written");
  }
  if (header.page_count() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("StreamWriter: page_count is negative: ", header.page_count()));
  }
  const int32_t size = header.page_size();
  if (size < 512 || size > static_cast<int32_t>(kMaxPageSize) || (size & (size - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "StreamWriter: page_size ", size, " is not a power of two from 512 to ", kMaxPageSize));
  }
  std::string payload;
  if (!header.SerializeToString(&payload)) {
    return absl::InternalError("StreamWriter: cannot serialize the stream header");
  }
  if (payload.size() > kMaxMessagePayload) {
    return absl::InvalidArgumentError(absl::StrCat("StreamWriter: the header is ", payload.size(),
                                                   " bytes, more than ", kMaxMessagePayload));
  }
  char preamble[kPreambleSize];
  for (size_t i = 0; i < sizeof(kMagic); ++i) preamble[i] = kMagic[i];
  PutU32(preamble + 8, kFormatVersion);
  PutU32(preamble + 12, 0);
  if (absl::Status s = Emit(absl::string_view(preamble, sizeof(preamble))); !s.ok()) return s;
  page_count_ = header.page_count();
  page_size_ = static_cast<uint32_t>(size);
  if (absl::Status s = WriteRecord(static_cast<uint32_t>(RecordType::kHeader), "", payload);
      !s.ok()) {
    return s;
  }
  phase_ = Phase::kPages;
  return absl::OkStatus();
}

absl::Status StreamWriter::WritePages(int64_t first_page, uint32_t round, absl::string_view data) {
  if (phase_ != Phase::kPages) {
    return absl::FailedPreconditionError(
        "StreamWriter: pages go after the header and before the guest state");
  }
  if (data.empty() || data.size() % page_size_ != 0) {
    return absl::InvalidArgumentError(absl::StrCat("StreamWriter: ", data.size(),
                                                   " bytes of pages is not a whole number of ",
                                                   page_size_, "-byte pages"));
  }
  const uint64_t count = data.size() / page_size_;
  if (count > kMaxPagesPerRecord) {
    return absl::InvalidArgumentError(absl::StrCat(
        "StreamWriter: ", count, " pages in one record; at most ", kMaxPagesPerRecord));
  }
  if (first_page < 0 || first_page + static_cast<int64_t>(count) > page_count_) {
    return absl::OutOfRangeError(absl::StrCat("StreamWriter: pages ", first_page, "..",
                                              first_page + static_cast<int64_t>(count) - 1,
                                              " are outside the guest's ", page_count_, " pages"));
  }
  char prefix[kPagesPrefixSize];
  PutU64(prefix, static_cast<uint64_t>(first_page));
  PutU32(prefix + 8, static_cast<uint32_t>(count));
  PutU32(prefix + 12, round);
  return WriteRecord(static_cast<uint32_t>(RecordType::kPages),
                     absl::string_view(prefix, sizeof(prefix)), data);
}

absl::Status StreamWriter::WriteGuestState(const xenia::v1::StreamGuestState& state) {
  if (phase_ != Phase::kPages) {
    return absl::FailedPreconditionError(
        "StreamWriter: the guest state goes once, after the header and the pages");
  }
  std::string payload;
  if (!state.SerializeToString(&payload)) {
    return absl::InternalError("StreamWriter: cannot serialize the guest state");
  }
  if (payload.size() > kMaxMessagePayload) {
    return absl::InvalidArgumentError(absl::StrCat("StreamWriter: the guest state is ",
                                                   payload.size(), " bytes, more than ",
                                                   kMaxMessagePayload));
  }
  if (absl::Status s = WriteRecord(static_cast<uint32_t>(RecordType::kGuestState), "", payload);
      !s.ok()) {
    return s;
  }
  phase_ = Phase::kStated;
  return absl::OkStatus();
}

absl::StatusOr<StreamSummary> StreamWriter::Finish() {
  if (phase_ != Phase::kStated) {
    return absl::FailedPreconditionError(
        "StreamWriter: a stream ends after its header, pages and guest state");
  }
  StreamSummary summary;
  summary.records = records_;
  summary.bytes = offset_;
  XXH128_hash_t digest = XXH3_128bits_digest(digest_);
  char payload[kEndPayloadSize];
  PutU64(payload, static_cast<uint64_t>(records_));
  PutU64(payload + 8, static_cast<uint64_t>(offset_));
  PutU64(payload + 16, digest.low64);
  PutU64(payload + 24, digest.high64);
  if (absl::Status s = WriteRecord(static_cast<uint32_t>(RecordType::kEnd), "",
                                   absl::string_view(payload, sizeof(payload)));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = sink_.Flush(); !s.ok()) {
    phase_ = Phase::kBroken;
    return s;
  }
  phase_ = Phase::kFinished;
  summary.total_bytes = offset_;
  summary.digest = absl::StrFormat("xxh3-128:%016x%016x", digest.high64, digest.low64);
  return summary;
}

absl::Status StreamWriter::WriteRecord(uint32_t type, absl::string_view prefix,
                                       absl::string_view body) {
  char head[kRecordHeadSize];
  PutU32(head, type);
  PutU32(head + 4, 0);
  PutU64(head + 8, prefix.size() + body.size());
  XXH3_64bits_reset_withSeed(record_sum_, static_cast<XXH64_hash_t>(records_));
  XXH3_64bits_update(record_sum_, head, sizeof(head));
  XXH3_64bits_update(record_sum_, prefix.data(), prefix.size());
  XXH3_64bits_update(record_sum_, body.data(), body.size());
  char sum[kChecksumSize];
  PutU64(sum, XXH3_64bits_digest(record_sum_));
  for (absl::string_view piece :
       {absl::string_view(head, sizeof(head)), prefix, body, absl::string_view(sum, sizeof(sum))}) {
    if (piece.empty()) continue;
    if (absl::Status s = Emit(piece); !s.ok()) return s;
  }
  ++records_;
  return absl::OkStatus();
}

absl::Status StreamWriter::Emit(absl::string_view bytes) {
  absl::Status written = sink_.Write(bytes);
  if (!written.ok()) {
    phase_ = Phase::kBroken;
    return written;
  }
  XXH3_128bits_update(digest_, bytes.data(), bytes.size());
  offset_ += static_cast<int64_t>(bytes.size());
  return absl::OkStatus();
}

}  // namespace xenia::stream
