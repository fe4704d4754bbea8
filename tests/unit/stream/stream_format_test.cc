// The domain stream format: what a writer writes, a reader reads back and
// verifies; a stream cut short at any byte, damaged at any byte, from a
// newer format, or not a stream at all is refused with an error that says
// which and where, and never reaches its end as if whole.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/stream/file_bytes.h"
#include "daemon/stream/little_endian.h"
#include "daemon/stream/stream_reader.h"
#include "daemon/stream/stream_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/stream/string_bytes.h"

namespace xenia::stream {
namespace {

using ::testing::HasSubstr;

constexpr int kPageSize = 4096;

using testing::StringSink;
using testing::StringSource;

// A page whose every byte depends on its number and a version.
std::string Page(int64_t number, int version) {
  std::string page(kPageSize, '\0');
  for (int i = 0; i < kPageSize; ++i) {
    page[i] = static_cast<char>((number * 131 + version * 17 + i) & 0xff);
  }
  return page;
}

xenia::v1::StreamHeader Header(int64_t pages) {
  xenia::v1::StreamHeader header;
  header.set_purpose(xenia::v1::StreamHeader::SAVE);
  header.set_domain_name("web1");
  header.set_domain_uuid("0f8fad5b-d9cb-469f-a165-70867728950e");
  header.mutable_spec()->set_memory_mib(1);
  header.set_source_host("host-a");
  header.set_backend("sim");
  header.set_page_count(pages);
  header.set_page_size(kPageSize);
  return header;
}

// A small whole stream: 8 pages in two records, page 2 sent again in round
// 1 with new content, then the guest state.
std::string SmallStream(StreamSummary* summary = nullptr) {
  StringSink sink;
  StreamWriter writer(sink);
  EXPECT_TRUE(writer.WriteHeader(Header(8)).ok());
  std::string first;
  for (int p = 0; p < 5; ++p) first += Page(p, 0);
  std::string second;
  for (int p = 5; p < 8; ++p) second += Page(p, 0);
  EXPECT_TRUE(writer.WritePages(0, 0, first).ok());
  EXPECT_TRUE(writer.WritePages(5, 0, second).ok());
  EXPECT_TRUE(writer.WritePages(2, 1, Page(2, 1)).ok());
  xenia::v1::StreamGuestState state;
  state.set_online_vcpus(2);
  state.add_vcpu_context("cpu0");
  state.add_vcpu_context("cpu1");
  EXPECT_TRUE(writer.WriteGuestState(state).ok());
  absl::StatusOr<StreamSummary> done = writer.Finish();
  EXPECT_TRUE(done.ok()) << done.status();
  if (summary != nullptr && done.ok()) *summary = *done;
  return sink.bytes;
}

// Reads a whole stream; OK only if it reached a verified END.
// With `records`, keeps each record, its pages copied into `kept`.
absl::Status ReadAll(const std::string& bytes, size_t chunk = 1 << 20,
                     std::vector<StreamRecord>* records = nullptr,
                     xenia::v1::StreamHeader* header_out = nullptr,
                     std::deque<std::string>* kept = nullptr) {
  StringSource source(bytes, chunk);
  StreamReader reader(source, "image web1.xds");
  absl::StatusOr<xenia::v1::StreamHeader> header = reader.ReadHeader();
  if (!header.ok()) return header.status();
  if (header_out != nullptr) *header_out = *header;
  for (;;) {
    absl::StatusOr<StreamRecord> record = reader.Next();
    if (!record.ok()) return record.status();
    if (records != nullptr) {
      StreamRecord copy = *record;
      records->push_back(copy);
      // The page bytes live in the reader until the next call: keep a copy.
      if (copy.type == RecordType::kPages && kept != nullptr) {
        kept->push_back(std::string(record->pages));
        records->back().pages = kept->back();
      }
    }
    if (record->type == RecordType::kEnd) return absl::OkStatus();
  }
}

TEST(StreamFormatTest, WhatIsWrittenReadsBackVerified) {
  StreamSummary written;
  std::string bytes = SmallStream(&written);
  EXPECT_EQ(written.total_bytes, static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(written.records, 5);  // HEADER, 3 PAGES, GUEST_STATE.
  EXPECT_THAT(written.digest, ::testing::StartsWith("xxh3-128:"));
  EXPECT_EQ(written.digest.size(), 9u + 32u);

  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}, size_t{1} << 20}) {
    std::vector<StreamRecord> records;
    std::deque<std::string> kept;
    xenia::v1::StreamHeader header;
    ASSERT_TRUE(ReadAll(bytes, chunk, &records, &header, &kept).ok()) << "chunk " << chunk;
    EXPECT_EQ(header.domain_name(), "web1");
    EXPECT_EQ(header.page_count(), 8);
    ASSERT_EQ(records.size(), 5u);
    EXPECT_EQ(records[0].type, RecordType::kPages);
    EXPECT_EQ(records[0].first_page, 0);
    EXPECT_EQ(records[0].page_count, 5u);
    EXPECT_EQ(records[0].pages.substr(3 * kPageSize, kPageSize), Page(3, 0));
    EXPECT_EQ(records[2].first_page, 2);
    EXPECT_EQ(records[2].round, 1u);
    EXPECT_EQ(records[2].pages, Page(2, 1));
    EXPECT_EQ(records[3].type, RecordType::kGuestState);
    EXPECT_EQ(records[3].state.online_vcpus(), 2);
    EXPECT_EQ(records[4].type, RecordType::kEnd);
    EXPECT_EQ(records[4].summary.digest, written.digest);
    EXPECT_EQ(records[4].summary.total_bytes, written.total_bytes);
  }
}

TEST(StreamFormatTest, AStreamGoesThroughARealFile) {
  char path[] = "/tmp/xenia-stream-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  StreamSummary written;
  {
    FileSink sink(fd, path);
    StreamWriter writer(sink);
    ASSERT_TRUE(writer.WriteHeader(Header(2048)).ok());
    // Two whole records of 1024 pages: larger than the sink's buffer.
    for (int64_t first : {0, 1024}) {
      std::string run;
      for (int64_t p = first; p < first + 1024; ++p) run += Page(p, 3);
      ASSERT_TRUE(writer.WritePages(first, 0, run).ok());
    }
    ASSERT_TRUE(writer.WriteGuestState(xenia::v1::StreamGuestState()).ok());
    absl::StatusOr<StreamSummary> done = writer.Finish();
    ASSERT_TRUE(done.ok()) << done.status();
    written = *done;
    ASSERT_TRUE(sink.Sync().ok());
  }
  EXPECT_EQ(lseek(fd, 0, SEEK_END), written.total_bytes);
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
  FileSource source(fd, path, /*owns_fd=*/true);
  StreamReader reader(source, path);
  ASSERT_TRUE(reader.ReadHeader().ok());
  int64_t pages = 0;
  for (;;) {
    absl::StatusOr<StreamRecord> record = reader.Next();
    ASSERT_TRUE(record.ok()) << record.status();
    if (record->type == RecordType::kPages) {
      EXPECT_EQ(record->pages.substr(0, kPageSize), Page(record->first_page, 3));
      pages += record->page_count;
    }
    if (record->type == RecordType::kEnd) {
      EXPECT_EQ(record->summary.digest, written.digest);
      break;
    }
  }
  EXPECT_EQ(pages, 2048);
  unlink(path);
}

TEST(StreamFormatTest, AStreamCutShortAnywhereIsRefusedSayingWhere) {
  const std::string bytes = SmallStream();
  for (size_t length = 1; length < bytes.size(); ++length) {
    absl::Status read = ReadAll(bytes.substr(0, length), 4096);
    ASSERT_FALSE(read.ok()) << "a stream cut at byte " << length << " was read as whole";
    EXPECT_EQ(read.code(), absl::StatusCode::kDataLoss) << length << ": " << read;
    EXPECT_THAT(std::string(read.message()), HasSubstr("image web1.xds is truncated"));
    EXPECT_THAT(std::string(read.message()), HasSubstr(absl::StrCat("ends at byte ", length)))
        << read;
  }
  absl::Status empty = ReadAll("");
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(empty.message()), HasSubstr("is empty"));
}

TEST(StreamFormatTest, ADamagedByteAnywhereIsRefused) {
  const std::string bytes = SmallStream();
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (unsigned char flip : {0x01, 0x80}) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ flip);
      absl::Status read = ReadAll(damaged);
      ASSERT_FALSE(read.ok()) << "a stream damaged at byte " << at << " was read as whole";
      if (at < sizeof(kMagic)) {
        EXPECT_EQ(read.code(), absl::StatusCode::kInvalidArgument) << at << ": " << read;
      } else if (at == 8 && flip == 0x80) {
        // Version 129: a stream from a newer xeniad, as far as anyone can tell.
        EXPECT_EQ(read.code(), absl::StatusCode::kFailedPrecondition) << at << ": " << read;
      } else {
        EXPECT_EQ(read.code(), absl::StatusCode::kDataLoss) << at << ": " << read;
        EXPECT_THAT(std::string(read.message()), HasSubstr("image web1.xds is"));
      }
    }
  }
}

TEST(StreamFormatTest, ADamagedPageNamesItsRecordAndOffset) {
  const std::string bytes = SmallStream();
  // The first PAGES record starts right after the preamble and the header.
  StringSource source(bytes, 1 << 20);
  StreamReader reader(source, "image web1.xds");
  ASSERT_TRUE(reader.ReadHeader().ok());
  const int64_t pages_at = reader.offset();
  std::string damaged = bytes;
  damaged[pages_at + 16 + 16 + 100] ^= 0x10;  // Inside page 0's bytes.
  absl::Status read = ReadAll(damaged);
  EXPECT_EQ(read.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(
      std::string(read.message()),
      HasSubstr(absl::StrCat("record #1 (PAGES, at byte ", pages_at, ") fails its checksum")));
}

TEST(StreamFormatTest, SwappedRecordsAreRefused) {
  const std::string bytes = SmallStream();
  StringSource source(bytes, 1 << 20);
  StreamReader reader(source, "s");
  ASSERT_TRUE(reader.ReadHeader().ok());
  std::vector<int64_t> starts = {reader.offset()};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(reader.Next().ok());
    starts.push_back(reader.offset());
  }
  // Records #1 and #2 (both PAGES, each well-formed) trade places.
  std::string one = bytes.substr(starts[0], starts[1] - starts[0]);
  std::string two = bytes.substr(starts[1], starts[2] - starts[1]);
  std::string swapped = bytes.substr(0, starts[0]) + two + one + bytes.substr(starts[2]);
  absl::Status read = ReadAll(swapped);
  EXPECT_EQ(read.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(read.message()), HasSubstr("record #1 (PAGES"));
  EXPECT_THAT(std::string(read.message()), HasSubstr("fails its checksum"));
}

TEST(StreamFormatTest, BytesAfterTheEndAreRefused) {
  absl::Status read = ReadAll(SmallStream() + "x");
  EXPECT_EQ(read.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(read.message()), HasSubstr("goes on past its end record"));
}

TEST(StreamFormatTest, AForeignFileIsRefusedForWhatItIs) {
  absl::Status text = ReadAll("name = \"web1\"\nmemory = 512\n");
  EXPECT_EQ(text.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(text.message()),
      HasSubstr("image web1.xds is not a Xenia domain stream: it starts with \"name = \\x22\""));

  std::string xl_image("Xen saved domain, xl format\n \0 \r", 32);
  xl_image += std::string(64, '\0');
  absl::Status xl = ReadAll(xl_image);
  EXPECT_EQ(xl.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(xl.message()), HasSubstr("is an xl save image"));
}

TEST(StreamFormatTest, ANewerFormatIsRefusedAsSuch) {
  std::string bytes = SmallStream();
  PutU32(bytes.data() + 8, kFormatVersion + 1);
  absl::Status read = ReadAll(bytes);
  EXPECT_EQ(read.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(read.message()),
              HasSubstr(absl::StrCat("format version ", kFormatVersion + 1)));
  EXPECT_THAT(std::string(read.message()), HasSubstr("a newer xeniad wrote it"));
}

TEST(StreamFormatTest, TheWriterRefusesMisuse) {
  StringSink sink;
  StreamWriter writer(sink);
  EXPECT_EQ(writer.WritePages(0, 0, Page(0, 0)).code(), absl::StatusCode::kFailedPrecondition);
  xenia::v1::StreamHeader odd = Header(4);
  odd.set_page_size(1000);
  EXPECT_EQ(writer.WriteHeader(odd).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(writer.WriteHeader(Header(4)).ok());
  EXPECT_EQ(writer.WritePages(3, 0, Page(3, 0) + Page(4, 0)).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(writer.WritePages(0, 0, "half a page").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer.Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(writer.WriteGuestState(xenia::v1::StreamGuestState()).ok());
  EXPECT_EQ(writer.WritePages(0, 0, Page(0, 0)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(writer.Finish().ok());
}

}  // namespace
}  // namespace xenia::stream
