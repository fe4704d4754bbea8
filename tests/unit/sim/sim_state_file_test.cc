#include "daemon/hypervisor/sim/sim_state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/sim/sim_test_util.h"

namespace xenia::hv {
namespace {

constexpr char kBootA[] = "11111111-1111-1111-1111-111111111111";
constexpr char kBootB[] = "22222222-2222-2222-2222-222222222222";

SimDomainRecord Record(uint32_t domid, const std::string& name) {
  SimDomainRecord r;
  r.domid = domid;
  r.name = name;
  r.uuid = "0000000" + std::to_string(domid % 10) + "-aaaa-bbbb-cccc-dddddddddddd";
  r.memory_mib = 256;
  r.max_memory_mib = 512;
  r.max_vcpus = 4;
  r.timeline.vcpus = 2;
  r.timeline.running = true;
  r.timeline.anchor_boot_ns = 123;
  r.timeline.cpu_load_ppm = 500'000;
  r.schedule.boot_ns = 2'000'000'000;
  r.schedule.shutdown_time_ns = 1'000'000'000;
  return r;
}

// Reads or writes raw bytes of the file, as a crash or a disk error would.
void PokeByte(const std::string& path, size_t offset, uint8_t xor_mask) {
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  uint8_t byte = 0;
  ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  byte ^= xor_mask;
  ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  ::close(fd);
}

// Offset of the newest copy of a pair at `pair_offset` (by sequence number).
size_t NewestCopyOffset(const std::string& path, size_t pair_offset) {
  std::ifstream in(path, std::ios::binary);
  uint64_t seq[2] = {};
  in.seekg(static_cast<std::streamoff>(pair_offset));
  in.read(reinterpret_cast<char*>(&seq[0]), 8);
  in.seekg(static_cast<std::streamoff>(pair_offset + kCopySize));
  in.read(reinterpret_cast<char*>(&seq[1]), 8);
  return pair_offset + (seq[1] > seq[0] ? kCopySize : 0);
}

class SimStateFileTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<SimStateFile>> OpenFile(uint32_t slots = 16,
                                                         const char* boot = kBootA) {
    return SimStateFile::Open(path_, slots, boot, logger_);
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.path() + "/a/b/state";
  Logger logger_{LogLevel::kOff, nullptr};
};

TEST_F(SimStateFileTest, CreatesASparseFileWithItsDirectory) {
  absl::StatusOr<std::unique_ptr<SimStateFile>> file = OpenFile(4096);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->slot_count(), 4096u);
  EXPECT_EQ((*file)->header().next_domid, 1u);
  EXPECT_EQ((*file)->header().boot_id, kBootA);
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), StateFileSize(4096));
  // Only the header page has been written.
  EXPECT_LT(static_cast<size_t>(st.st_blocks) * 512, StateFileSize(4096) / 2);
  absl::StatusOr<std::vector<std::pair<uint32_t, SimDomainRecord>>> records =
      (*file)->LoadRecords(0, 0);
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

TEST_F(SimStateFileTest, RecordsAndHeaderSurviveReopening) {
  {
    auto file = OpenFile();
    ASSERT_TRUE(file.ok());
    (*file)->StoreRecord(3, Record(7, "web1"));
    (*file)->StoreRecord(5, Record(8, "web2"));
    (*file)->FreeSlot(5);
    StateHeader header = (*file)->header();
    header.next_domid = 9;
    (*file)->StoreHeader(header);
  }
  auto file = OpenFile();
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->header().next_domid, 9u);
  auto records = (*file)->LoadRecords(0, 0);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].first, 3u);
  const SimDomainRecord& r = (*records)[0].second;
  EXPECT_EQ(r.domid, 7u);
  EXPECT_EQ(r.name, "web1");
  EXPECT_EQ(r.uuid, Record(7, "web1").uuid);
  EXPECT_EQ(r.timeline.vcpus, 2);
  EXPECT_EQ(r.timeline.anchor_boot_ns, 123);
  EXPECT_EQ(r.schedule.crash_at_guest_ns, kNever);
}

TEST_F(SimStateFileTest, SecondOpenIsRefusedWhileTheFirstHoldsTheLock) {
  auto first = OpenFile();
  ASSERT_TRUE(first.ok());
  auto second = OpenFile();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("is in use by another process (is another xeniad "
                                           "running on this host?)"),
            absl::string_view::npos)
      << second.status();
  first->reset();
  EXPECT_TRUE(OpenFile().ok());
}

TEST_F(SimStateFileTest, TornRecordRecoversThePreviousVersion) {
  {
    auto file = OpenFile();
    ASSERT_TRUE(file.ok());
    SimDomainRecord r = Record(7, "web1");
    (*file)->StoreRecord(2, r);
    r.state = RunState::kPaused;
    r.timeline.running = false;
    (*file)->StoreRecord(2, r);
  }
  // A write of the newest copy cut short: a payload byte differs from what
  // its checksum covers.
  PokeByte(path_, NewestCopyOffset(path_, SlotOffset(2)) + kCopyOverhead + 50, 0xFF);
  auto file = OpenFile();
  ASSERT_TRUE(file.ok()) << file.status();
  auto records = (*file)->LoadRecords(0, 0);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].second.state, RunState::kRunning);
}

TEST_F(SimStateFileTest, RecordWithBothCopiesCorruptIsDataLoss) {
  {
    auto file = OpenFile();
    ASSERT_TRUE(file.ok());
    (*file)->StoreRecord(1, Record(7, "web1"));
    (*file)->StoreRecord(1, Record(7, "web1"));
  }
  PokeByte(path_, SlotOffset(1) + kCopyOverhead + 10, 0x01);
  PokeByte(path_, SlotOffset(1) + kCopySize + kCopyOverhead + 10, 0x01);
  auto file = OpenFile();
  ASSERT_TRUE(file.ok());
  auto records = (*file)->LoadRecords(0, 0);
  EXPECT_EQ(records.status().code(), absl::StatusCode::kDataLoss) << records.status();
  EXPECT_NE(records.status().message().find("slot 1"), absl::string_view::npos);
}

TEST_F(SimStateFileTest, TornHeaderCopyRecoversTheOlderHeader) {
  {
    auto file = OpenFile();
    ASSERT_TRUE(file.ok());
    StateHeader header = (*file)->header();
    header.next_domid = 42;
    (*file)->StoreHeader(header);
  }
  PokeByte(path_, NewestCopyOffset(path_, 0) + kCopyOverhead + 20, 0x10);
  auto file = OpenFile();
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->header().next_domid, 1u);
}

TEST_F(SimStateFileTest, HeaderCorruptInBothCopiesIsDetected) {
  {
    auto file = OpenFile();
    ASSERT_TRUE(file.ok());
    (*file)->StoreHeader((*file)->header());
  }
  PokeByte(path_, kCopyOverhead + 20, 0x10);
  PokeByte(path_, kCopySize + kCopyOverhead + 20, 0x10);
  auto file = OpenFile();
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss) << file.status();
  EXPECT_NE(file.status().message().find("header"), absl::string_view::npos);
}

TEST_F(SimStateFileTest, AnotherBootEmptiesTheFileWithAWarning) {
  {
    auto file = OpenFile();
    ASSERT_TRUE(file.ok());
    (*file)->StoreRecord(0, Record(7, "web1"));
    StateHeader header = (*file)->header();
    header.next_domid = 8;
    (*file)->StoreHeader(header);
  }
  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  Logger logger(LogLevel::kInfo, log);
  auto file = SimStateFile::Open(path_, 16, kBootB, logger);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->header().boot_id, kBootB);
  EXPECT_EQ((*file)->header().next_domid, 1u);
  EXPECT_TRUE((*file)->LoadRecords(0, 0)->empty());
  std::rewind(log);
  char buffer[2048] = {};
  const size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, log);
  std::fclose(log);
  const std::string text(buffer, n);
  EXPECT_NE(text.find("level=warning"), std::string::npos) << text;
  EXPECT_NE(text.find("domains_lost=1"), std::string::npos) << text;
}

TEST_F(SimStateFileTest, GrowsWhenMoreSlotsAreAskedForAndNeverShrinks) {
  {
    auto file = OpenFile(8);
    ASSERT_TRUE(file.ok());
    (*file)->StoreRecord(7, Record(7, "last"));
  }
  {
    auto file = OpenFile(32);
    ASSERT_TRUE(file.ok());
    EXPECT_EQ((*file)->slot_count(), 32u);
    (*file)->StoreRecord(31, Record(9, "new"));
  }
  auto file = OpenFile(4);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->slot_count(), 32u);
  EXPECT_EQ((*file)->LoadRecords(0, 0)->size(), 2u);
}

TEST_F(SimStateFileTest, RefusesSomebodyElsesFile) {
  std::filesystem::create_directories(dir_.path() + "/a/b");
  {
    std::ofstream out(path_);
    out << "# this is somebody's configuration file\nkey = value\n";
  }
  auto file = OpenFile();
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kFailedPrecondition) << file.status();
  std::ifstream in(path_);
  std::string first_line;
  std::getline(in, first_line);
  EXPECT_EQ(first_line, "# this is somebody's configuration file");
}

TEST_F(SimStateFileTest, TruncatedFileIsDataLoss) {
  ASSERT_TRUE(OpenFile(16).ok());
  ASSERT_EQ(::truncate(path_.c_str(), static_cast<off_t>(StateFileSize(8))), 0);
  auto file = OpenFile(16);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss) << file.status();
}

TEST(ReadHostBootIdTest, ReadsTheKernelsBootId) {
  absl::StatusOr<std::string> id = ReadHostBootId();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->size(), 36u) << *id;
}

}  // namespace
}  // namespace xenia::hv
