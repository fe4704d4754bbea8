#include "daemon/stream/stream_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/stream/fast_xxhash.h"
#include "daemon/stream/little_endian.h"

namespace xenia::stream {
namespace {

constexpr size_t kBufferSize = 1024 * 1024;
// Reads at least this large bypass the buffer.
constexpr size_t kDirectRead = 64 * 1024;
// Format versions from here on are taken for damage rather than for the
// work of a newer xeniad.
constexpr uint32_t kMaxPlausibleVersion = 256;

// The first bytes of a foreign file, shown so a person can tell what it is.
std::string Preview(absl::string_view bytes) {
  std::string text;
  for (char c : bytes.substr(0, 8)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isprint(u) && c != '\\' && c != '"') {
      text.push_back(c);
    } else {
      absl::StrAppendFormat(&text, "\\x%02x", u);
    }
  }
  return text;
}

}  // namespace

StreamReader::StreamReader(ByteSource& source, std::string name)
    : source_(source),
      name_(std::move(name)),
      digest_(XXH3_createState()),
      record_sum_(XXH3_createState()) {
  XXH3_128bits_reset(digest_);
}

StreamReader::~StreamReader() {
  XXH3_freeState(digest_);
  XXH3_freeState(record_sum_);
}

absl::StatusOr<xenia::v1::StreamHeader> StreamReader::ReadHeader() {
  if (phase_ != Phase::kStart) {
    return absl::FailedPreconditionError(
        absl::StrCat(name_, ": the stream header was already read"));
  }
  char preamble[kPreambleSize];
  absl::StatusOr<size_t> got = ReadExact(preamble, sizeof(preamble));
  if (!got.ok()) return Fail(got.status());
  absl::string_view seen(preamble, *got);
  if (seen.empty()) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(name_, " is empty: not a domain stream")));
  }
  if (seen.size() >= sizeof(kMagic) && absl::StartsWith(kXlSaveMagic, seen)) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat(name_,
                     " is an xl save image (it starts with \"Xen saved domain, xl format\"), not "
                     "a Xenia domain stream: restore it on a host that runs the libxl backend")));
  }
  const size_t magic_seen = std::min(seen.size(), sizeof(kMagic));
  if (std::memcmp(seen.data(), kMagic, magic_seen) != 0) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat(name_, " is not a Xenia domain stream: it starts with \"", Preview(seen),
                     "\" where a domain stream starts with \"\\x89XENIA\\r\\n\"")));
  }
  if (*got < sizeof(preamble)) {
    return Fail(Truncated(absl::StrCat("it ends at byte ", *got, ", inside the preamble")));
  }
  const uint32_t version = GetU32(preamble + 8);
  const uint32_t flags = GetU32(preamble + 12);
  // Versions are numbered one by one: a huge number is damage, not news.
  if (version > kFormatVersion && version < kMaxPlausibleVersion) {
    return Fail(absl::FailedPreconditionError(absl::StrCat(
        name_, " is a domain stream of format version ", version, "; this xeniad reads version ",
        kFormatVersion, " (a newer xeniad wrote it)")));
  }
  if (version == 0 || version > kFormatVersion) {
    return Fail(Corrupted(absl::StrCat("its preamble says format version ", version)));
  }
  if (flags != 0) {
    return Fail(Corrupted(
        absl::StrFormat("its preamble has flags 0x%08x, which format version %d does not define",
                        flags, kFormatVersion)));
  }
  XXH3_128bits_update(digest_, preamble, sizeof(preamble));

  int64_t at = 0;
  absl::StatusOr<uint32_t> type = ReadRecord(&at);
  if (!type.ok()) return type.status();
  xenia::v1::StreamHeader header;
  if (!header.ParseFromString(payload_)) {
    return Fail(Corrupted(absl::StrCat(RecordAt(0, *type, at), " does not parse")));
  }
  const int32_t size = header.page_size();
  if (size < 512 || size > static_cast<int32_t>(kMaxPageSize) || (size & (size - 1)) != 0 ||
      header.page_count() < 0) {
    return Fail(Corrupted(absl::StrCat(RecordAt(0, *type, at), " gives ", header.page_count(),
                                       " pages of ", size, " bytes")));
  }
  page_count_ = header.page_count();
  page_size_ = static_cast<uint32_t>(size);
  phase_ = Phase::kPages;
  return header;
}

absl::StatusOr<StreamRecord> StreamReader::Next() {
  if (phase_ == Phase::kStart) {
    return absl::FailedPreconditionError(absl::StrCat(name_, ": read the header first"));
  }
  if (phase_ == Phase::kEnded) {
    return absl::FailedPreconditionError(absl::StrCat(name_, ": the stream has ended"));
  }
  if (phase_ == Phase::kFailed) {
    return absl::FailedPreconditionError(absl::StrCat(name_, ": the stream failed earlier"));
  }
  StreamRecord record;
  record.index = index_;
  absl::StatusOr<uint32_t> type = ReadRecord(&record.offset);
  if (!type.ok()) return type.status();
  const std::string where = RecordAt(record.index, *type, record.offset);
  record.type = static_cast<RecordType>(*type);
  switch (record.type) {
    case RecordType::kHeader:
      return Fail(Corrupted(absl::StrCat(where, " is a second header")));
    case RecordType::kPages: {
      if (phase_ == Phase::kStated) {
        return Fail(Corrupted(absl::StrCat(where, " comes after the guest state")));
      }
      if (payload_.size() < kPagesPrefixSize) {
        return Fail(Corrupted(absl::StrCat(where, " is too short for its page run")));
      }
      record.first_page = static_cast<int64_t>(GetU64(payload_.data()));
      record.page_count = GetU32(payload_.data() + 8);
      record.round = GetU32(payload_.data() + 12);
      const uint64_t expected = kPagesPrefixSize + uint64_t{record.page_count} * page_size_;
      if (record.page_count == 0 || record.page_count > kMaxPagesPerRecord ||
          payload_.size() != expected) {
        return Fail(Corrupted(absl::StrCat(where, " says ", record.page_count, " pages but holds ",
                                           payload_.size() - kPagesPrefixSize, " bytes of them")));
      }
      if (record.first_page < 0 ||
          record.first_page > page_count_ - static_cast<int64_t>(record.page_count)) {
        return Fail(Corrupted(absl::StrCat(where, " carries pages ", record.first_page, "..",
                                           record.first_page + record.page_count - 1,
                                           ", outside the guest's ", page_count_, " pages")));
      }
      record.pages = absl::string_view(payload_).substr(kPagesPrefixSize);
      break;
    }
    case RecordType::kGuestState:
      if (phase_ == Phase::kStated) {
        return Fail(Corrupted(absl::StrCat(where, " is a second guest state")));
      }
      if (!record.state.ParseFromString(payload_)) {
        return Fail(Corrupted(absl::StrCat(where, " does not parse")));
      }
      phase_ = Phase::kStated;
      break;
    case RecordType::kEnd: {
      if (phase_ != Phase::kStated) {
        return Fail(Corrupted(absl::StrCat(where, " comes before the guest state")));
      }
      if (payload_.size() != kEndPayloadSize) {
        return Fail(Corrupted(
            absl::StrCat(where, " has ", payload_.size(), " bytes, not ", kEndPayloadSize)));
      }
      const uint64_t records = GetU64(payload_.data());
      const uint64_t bytes = GetU64(payload_.data() + 8);
      XXH128_hash_t said{GetU64(payload_.data() + 16), GetU64(payload_.data() + 24)};
      if (records != static_cast<uint64_t>(record.index) ||
          bytes != static_cast<uint64_t>(record.offset)) {
        return Fail(Corrupted(absl::StrCat(where, " counts ", records, " records in ", bytes,
                                           " bytes, but ", record.index, " records in ",
                                           record.offset, " bytes came before it")));
      }
      XXH128_hash_t actual = XXH3_128bits_digest(digest_);
      if (!XXH128_isEqual(said, actual)) {
        return Fail(Corrupted(absl::StrCat(where, ": the digest of the stream does not match")));
      }
      char extra;
      absl::StatusOr<size_t> more = ReadExact(&extra, 1);
      if (!more.ok()) return Fail(more.status());
      if (*more != 0) {
        return Fail(Corrupted(
            absl::StrCat("it goes on past its end record (", where, "), at byte ", offset_ - 1)));
      }
      record.summary.records = static_cast<int64_t>(records);
      record.summary.bytes = static_cast<int64_t>(bytes);
      record.summary.total_bytes = offset_;
      record.summary.digest = absl::StrFormat("xxh3-128:%016x%016x", actual.high64, actual.low64);
      phase_ = Phase::kEnded;
      summary_ = record.summary;
      break;
    }
  }
  return record;
}

absl::StatusOr<uint32_t> StreamReader::ReadRecord(int64_t* record_offset) {
  *record_offset = offset_;
  const int64_t index = index_;
  char head[kRecordHeadSize];
  absl::StatusOr<size_t> got = ReadExact(head, sizeof(head));
  if (!got.ok()) return Fail(got.status());
  if (*got == 0) {
    return Fail(Truncated(absl::StrCat("it ends at byte ", offset_, ", after record #", index - 1,
                                       ", without an end record")));
  }
  if (*got < sizeof(head)) {
    return Fail(Truncated(
        absl::StrCat("it ends at byte ", offset_, ", inside the head of record #", index)));
  }
  const uint32_t type = GetU32(head);
  const uint32_t flags = GetU32(head + 4);
  const uint64_t length = GetU64(head + 8);
  const std::string where = RecordAt(index, type, *record_offset);
  if (index == 0 && type != static_cast<uint32_t>(RecordType::kHeader)) {
    return Fail(Corrupted(absl::StrCat(where, " should be the stream's header")));
  }
  const uint64_t max = MaxPayload(type, page_size_);
  if (max == 0) return Fail(Corrupted(absl::StrCat(where, " has an unknown type")));
  if (flags != 0) {
    return Fail(
        Corrupted(absl::StrFormat("%s has flags 0x%08x, which format version %d does "
                                  "not define",
                                  where, flags, kFormatVersion)));
  }
  if (length > max) {
    return Fail(Corrupted(absl::StrCat(where, " declares ", length, " bytes, more than the ", max,
                                       " such a record may hold")));
  }
  payload_.resize(length);
  got = ReadExact(payload_.data(), payload_.size());
  if (!got.ok()) return Fail(got.status());
  char sum[kChecksumSize];
  size_t sum_got = 0;
  if (*got == length) {
    absl::StatusOr<size_t> read = ReadExact(sum, sizeof(sum));
    if (!read.ok()) return Fail(read.status());
    sum_got = *read;
  }
  if (*got < length || sum_got < sizeof(sum)) {
    return Fail(Truncated(absl::StrCat("it ends at byte ", offset_, ", inside ", where, " of ",
                                       kRecordHeadSize + length + kChecksumSize, " bytes")));
  }
  XXH3_64bits_reset_withSeed(record_sum_, static_cast<XXH64_hash_t>(index));
  XXH3_64bits_update(record_sum_, head, sizeof(head));
  XXH3_64bits_update(record_sum_, payload_.data(), payload_.size());
  if (XXH3_64bits_digest(record_sum_) != GetU64(sum)) {
    return Fail(Corrupted(absl::StrCat(where, " fails its checksum")));
  }
  if (type != static_cast<uint32_t>(RecordType::kEnd)) {
    XXH3_128bits_update(digest_, head, sizeof(head));
    XXH3_128bits_update(digest_, payload_.data(), payload_.size());
    XXH3_128bits_update(digest_, sum, sizeof(sum));
  }
  ++index_;
  return type;
}

absl::StatusOr<size_t> StreamReader::ReadExact(char* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    if (buffer_pos_ < buffer_.size()) {
      size_t take = std::min(n - done, buffer_.size() - buffer_pos_);
      std::memcpy(out + done, buffer_.data() + buffer_pos_, take);
      buffer_pos_ += take;
      done += take;
      continue;
    }
    if (n - done >= kDirectRead) {
      absl::StatusOr<size_t> got = source_.Read(out + done, n - done);
      if (!got.ok()) return got.status();
      if (*got == 0) break;
      done += *got;
      continue;
    }
    buffer_.resize(kBufferSize);
    absl::StatusOr<size_t> got = source_.Read(buffer_.data(), buffer_.size());
    if (!got.ok()) {
      buffer_.clear();
      buffer_pos_ = 0;
      return got.status();
    }
    buffer_.resize(*got);
    buffer_pos_ = 0;
    if (*got == 0) break;
  }
  offset_ += static_cast<int64_t>(done);
  return done;
}

absl::Status StreamReader::Fail(absl::Status status) {
  phase_ = Phase::kFailed;
  return status;
}

absl::Status StreamReader::Truncated(const std::string& where) {
  return absl::DataLossError(absl::StrCat(name_, " is truncated: ", where));
}

absl::Status StreamReader::Corrupted(const std::string& what) {
  return absl::DataLossError(absl::StrCat(name_, " is corrupted: ", what));
}

std::string StreamReader::RecordAt(int64_t index, uint32_t type, int64_t offset) const {
  return absl::StrCat("record #", index, " (", RecordTypeName(type), ", at byte ", offset, ")");
}

}  // namespace xenia::stream
