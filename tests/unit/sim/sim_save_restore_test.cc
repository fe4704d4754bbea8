// SimHypervisor's SaveDomain and RestoreDomain: real page content through a
// real domain stream, verified on the way back in; a damaged stream leaves
// nothing behind; a failed save leaves the guest as it was.
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/hypervisor/sim/guest_memory.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "daemon/stream/stream_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/sim/sim_test_util.h"
#include "tests/unit/stream/string_bytes.h"

namespace xenia::hv {
namespace {

using stream::testing::StringSink;
using stream::testing::StringSource;
using ::testing::HasSubstr;
using testing::SimTest;
using testing::Spec;

// A sink that fails after `limit` bytes, like a full disk.
class FailingSink : public stream::ByteSink {
 public:
  explicit FailingSink(size_t limit) : limit_(limit) {}
  absl::Status Write(absl::string_view data) override {
    written_ += data.size();
    if (written_ > limit_) return absl::ResourceExhaustedError("no space left on device");
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }

 private:
  size_t limit_;
  size_t written_ = 0;
};

class SimSaveRestoreTest : public SimTest {
 protected:
  void SetUp() override {
    config_.dirty_bytes_per_second = 4096 * 100;  // 100 pages per second
    Open();
  }

  absl::StatusOr<SaveDomainResult> Save(const DomainFacts& d, StringSink& sink,
                                        bool checkpoint = false) {
    SaveDomainRequest req;
    req.domain = Ref(d);
    req.header.set_purpose(xenia::v1::StreamHeader::SAVE);
    req.sink = &sink;
    req.checkpoint = checkpoint;
    return sim_->SaveDomain(ctx_, req);
  }

  absl::StatusOr<RestoredDomain> RestoreWithDigest(const std::string& image,
                                                   const xenia::v1::DomainSpec& spec,
                                                   bool paused = false) {
    StringSource source(image, 65536);
    stream::ImageReader image_reader(source, "the image");
    if (absl::Status s = image_reader.ReadHead(); !s.ok()) return s;
    RestoreDomainRequest req;
    req.spec = &spec;
    req.image = &image_reader;
    req.start_paused = paused;
    return sim_->RestoreDomain(ctx_, req);
  }
  absl::StatusOr<DomainFacts> Restore(const std::string& image, const xenia::v1::DomainSpec& spec,
                                      bool paused = false) {
    absl::StatusOr<RestoredDomain> restored = RestoreWithDigest(image, spec, paused);
    if (!restored.ok()) return restored.status();
    return restored->facts;
  }

  // The pages an image holds, by page number (the last copy of each).
  static std::vector<std::string> PagesOf(const std::string& image) {
    StringSource source(image, 1 << 20);
    stream::StreamReader reader(source, "image");
    absl::StatusOr<xenia::v1::StreamHeader> header = reader.ReadHeader();
    EXPECT_TRUE(header.ok()) << header.status();
    if (!header.ok()) return {};
    std::vector<std::string> pages(header->page_count());
    while (true) {
      absl::StatusOr<stream::StreamRecord> record = reader.Next();
      EXPECT_TRUE(record.ok()) << record.status();
      if (!record.ok() || record->type == stream::RecordType::kEnd) break;
      for (uint32_t i = 0; i < record->page_count && record->type == stream::RecordType::kPages;
           ++i) {
        pages[record->first_page + i] =
            std::string(record->pages.substr(i * kSimPageSize, kSimPageSize));
      }
    }
    return pages;
  }

  xenia::v1::DomainSpec SpecOf(const DomainFacts& d, int64_t memory_mib) {
    xenia::v1::DomainSpec spec = Spec(d.name, memory_mib);
    spec.set_uuid(d.uuid);
    return spec;
  }
};

TEST_F(SimSaveRestoreTest, SaveLeavesTheGuestSuspendedAndRestoreBringsItBack) {
  const DomainFacts d = Create("web1", 8);
  Advance(absl::Seconds(30));
  const int64_t cpu_before = Describe(d).cpu_time_ns;
  StringSink image;
  absl::StatusOr<SaveDomainResult> saved = Save(d, image);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->pages, 8 * 256);
  EXPECT_EQ(saved->bytes, static_cast<int64_t>(image.bytes.size()));
  EXPECT_GT(saved->bytes, 8 << 20);
  EXPECT_THAT(saved->digest, HasSubstr("xxh3-128:"));
  const DomainFacts after_save = Describe(d);
  EXPECT_EQ(after_save.state, RunState::kShutdown);
  EXPECT_EQ(after_save.shutdown_reason, ShutdownReason::kSuspend);
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(d)).ok());

  absl::StatusOr<RestoredDomain> with_digest = RestoreWithDigest(image.bytes, SpecOf(d, 8));
  ASSERT_TRUE(with_digest.ok()) << with_digest.status();
  // The restore reports the digest the save wrote (what a migration's
  // hand-over compares).
  EXPECT_EQ(with_digest->digest, saved->digest);
  absl::StatusOr<DomainFacts> restored = with_digest->facts;
  EXPECT_EQ(restored->uuid, d.uuid);
  EXPECT_NE(restored->domid, d.domid);
  EXPECT_EQ(restored->state, RunState::kRunning);
  // Its vCPU time carries on from where it stopped.
  EXPECT_EQ(restored->cpu_time_ns, cpu_before);
  Advance(absl::Seconds(10));
  EXPECT_GT(Describe(*restored).cpu_time_ns, cpu_before);
}

TEST_F(SimSaveRestoreTest, TheRestoredMemoryIsTheSavedMemory) {
  // Saving the restored guest at once gives the same pages: the restore
  // took on exactly the memory the first image carried.
  const DomainFacts d = Create("web1", 4);
  Advance(absl::Seconds(7));
  StringSink first;
  ASSERT_TRUE(Save(d, first).ok());
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(d)).ok());
  absl::StatusOr<DomainFacts> restored = Restore(first.bytes, SpecOf(d, 4), /*paused=*/true);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->state, RunState::kPaused);
  StringSink second;
  ASSERT_TRUE(Save(*restored, second).ok());
  StringSource a_source(first.bytes, 1 << 20), b_source(second.bytes, 1 << 20);
  stream::StreamReader a(a_source, "first"), b(b_source, "second");
  ASSERT_TRUE(a.ReadHeader().ok());
  ASSERT_TRUE(b.ReadHeader().ok());
  int64_t pages = 0;
  while (true) {
    absl::StatusOr<stream::StreamRecord> ra = a.Next();
    absl::StatusOr<stream::StreamRecord> rb = b.Next();
    ASSERT_TRUE(ra.ok() && rb.ok());
    ASSERT_EQ(ra->type, rb->type);
    if (ra->type == stream::RecordType::kEnd) break;
    if (ra->type == stream::RecordType::kPages) {
      ASSERT_EQ(ra->pages, rb->pages) << "record " << ra->index;
      pages += ra->page_count;
    }
  }
  EXPECT_EQ(pages, 4 * 256);
}

TEST_F(SimSaveRestoreTest, ARunningGuestDirtiesItsMemory) {
  const DomainFacts d = Create("web1", 4);
  StringSink early, late;
  ASSERT_TRUE(Save(d, early, /*checkpoint=*/true).ok());
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
  Advance(absl::Seconds(5));  // 500 page writes
  ASSERT_TRUE(Save(d, late, /*checkpoint=*/true).ok());
  const std::vector<std::string> before = PagesOf(early.bytes);
  const std::vector<std::string> after = PagesOf(late.bytes);
  ASSERT_EQ(before.size(), 1024u);
  ASSERT_EQ(after.size(), 1024u);
  int64_t changed = 0;
  for (size_t pfn = 0; pfn < before.size(); ++pfn) changed += before[pfn] != after[pfn];
  // 100 pages a second for 5 seconds, each page written once.
  EXPECT_EQ(changed, 500);
}

TEST_F(SimSaveRestoreTest, APausedGuestDirtiesNothing) {
  const DomainFacts d = Create("web1", 2, 1, /*paused=*/true);
  StringSink early, late;
  ASSERT_TRUE(Save(d, early, true).ok());
  Advance(absl::Seconds(5));
  ASSERT_TRUE(Save(d, late, true).ok());
  EXPECT_EQ(Describe(d).state, RunState::kPaused);
  // Only the header's creation time could differ, and the caller set none.
  EXPECT_EQ(early.bytes, late.bytes);
}

TEST_F(SimSaveRestoreTest, AFailedSaveLeavesTheGuestRunning) {
  const DomainFacts d = Create("web1", 4);
  FailingSink full(1 << 20);
  SaveDomainRequest req;
  req.domain = Ref(d);
  req.sink = &full;
  absl::StatusOr<SaveDomainResult> saved = sim_->SaveDomain(ctx_, req);
  EXPECT_EQ(saved.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
}

// As on Debian's Xen (no shadow paging): a PV guest cannot be saved live,
// which is found out before a byte is written; PVH guests and non-live saves
// are not affected.
TEST_F(SimSaveRestoreTest, WithoutShadowPagingAPvGuestIsNotSavedLive) {
  config_.shadow_paging = false;
  Open();
  absl::StatusOr<HostFacts> host = sim_->DescribeHost(ctx_);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_FALSE(host->pv_log_dirty);
  xenia::v1::DomainSpec pv_spec = Spec("pv1", 4);
  pv_spec.set_type(xenia::v1::PV);
  absl::StatusOr<DomainFacts> pv = sim_->CreateDomain(ctx_, {&pv_spec, false});
  ASSERT_TRUE(pv.ok()) << pv.status();
  const DomainFacts pvh = Create("pvh1", 4);

  auto save_live = [&](const DomainFacts& d, StringSink& sink) {
    SaveDomainRequest req;
    req.domain = Ref(d);
    req.header.set_purpose(xenia::v1::StreamHeader::MIGRATION);
    req.sink = &sink;
    req.live = LiveSaveOptions{};
    return sim_->SaveDomain(ctx_, req);
  };
  StringSink refused;
  absl::StatusOr<SaveDomainResult> saved = save_live(*pv, refused);
  EXPECT_EQ(saved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(saved.status().message(), HasSubstr("PV guest"));
  EXPECT_THAT(saved.status().message(), HasSubstr("shadow paging"));
  EXPECT_THAT(saved.status().message(), HasSubstr("--no-live"));
  EXPECT_TRUE(refused.bytes.empty());
  EXPECT_EQ(Describe(*pv).state, RunState::kRunning);

  StringSink live_pvh;
  EXPECT_TRUE(save_live(pvh, live_pvh).ok());
  StringSink not_live;
  EXPECT_TRUE(Save(*pv, not_live).ok());

  config_.shadow_paging = true;
  Open();
  host = sim_->DescribeHost(ctx_);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_TRUE(host->pv_log_dirty);
}

// As Xen (no global log-dirty mode with passed-through devices): a guest
// holding a PCI device is not saved live until it is given back; a save
// that pauses the guest first still works.
TEST_F(SimSaveRestoreTest, AGuestWithAPassedThroughDeviceIsNotSavedLive) {
  xenia::v1::DomainSpec spec = Spec("router", 4);
  spec.set_type(xenia::v1::HVM);
  absl::StatusOr<DomainFacts> d = sim_->CreateDomain(ctx_, {&spec, false});
  ASSERT_TRUE(d.ok()) << d.status();
  xenia::v1::PciDevice nic;
  nic.set_bdf("03:00.0");
  AttachDeviceRequest attach;
  attach.kind = DeviceKind::kPci;
  attach.pci = &nic;
  ASSERT_TRUE(sim_->AttachDevice(ctx_, Ref(*d), attach).ok());

  auto save_live = [&](StringSink& sink) {
    SaveDomainRequest req;
    req.domain = Ref(*d);
    req.header.set_purpose(xenia::v1::StreamHeader::MIGRATION);
    req.sink = &sink;
    req.live = LiveSaveOptions{};
    return sim_->SaveDomain(ctx_, req);
  };
  StringSink refused;
  absl::StatusOr<SaveDomainResult> saved = save_live(refused);
  EXPECT_EQ(saved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(saved.status().message(), HasSubstr("PCI device is passed through"));
  EXPECT_TRUE(refused.bytes.empty());
  EXPECT_EQ(Describe(*d).state, RunState::kRunning);
  StringSink checkpoint;
  EXPECT_TRUE(Save(*d, checkpoint, /*checkpoint=*/true).ok());

  DetachDeviceRequest detach;
  detach.kind = DeviceKind::kPci;
  detach.id = "0000:03:00.0";
  detach.force = true;
  ASSERT_TRUE(sim_->DetachDevice(ctx_, Ref(*d), detach).ok());
  StringSink live;
  EXPECT_TRUE(save_live(live).ok());
}

TEST_F(SimSaveRestoreTest, OnlyARunningOrPausedGuestCanBeSaved) {
  const DomainFacts d = Create("web1", 2);
  StringSink image;
  ASSERT_TRUE(Save(d, image).ok());
  StringSink again;
  absl::StatusOr<SaveDomainResult> twice = Save(d, again);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(twice.status().message(), HasSubstr("only a running or paused domain"));
}

TEST_F(SimSaveRestoreTest, ADamagedImageRestoresNothing) {
  const DomainFacts d = Create("web1", 2);
  Advance(absl::Seconds(3));
  StringSink image;
  ASSERT_TRUE(Save(d, image).ok());
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(d)).ok());
  const size_t domains_before = sim_->ListDomains(ctx_)->size();
  for (size_t cut : {image.bytes.size() / 2, image.bytes.size() - 1}) {
    absl::StatusOr<DomainFacts> r = Restore(image.bytes.substr(0, cut), SpecOf(d, 2));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("truncated"));
    EXPECT_EQ(sim_->ListDomains(ctx_)->size(), domains_before);
  }
  std::string flipped = image.bytes;
  flipped[flipped.size() / 3] ^= 0x01;
  absl::StatusOr<DomainFacts> r = Restore(flipped, SpecOf(d, 2));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_EQ(sim_->ListDomains(ctx_)->size(), domains_before);
  // The same memory is free again: the intact image restores.
  EXPECT_TRUE(Restore(image.bytes, SpecOf(d, 2)).ok());
}

TEST_F(SimSaveRestoreTest, AnImageOfAnotherSizeOrGuestIsRefused) {
  const DomainFacts d = Create("web1", 2);
  StringSink image;
  ASSERT_TRUE(Save(d, image).ok());
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(d)).ok());
  absl::StatusOr<DomainFacts> bigger = Restore(image.bytes, SpecOf(d, 4));
  EXPECT_EQ(bigger.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bigger.status().message(), HasSubstr("512 pages"));
  xenia::v1::DomainSpec other = SpecOf(d, 2);
  other.set_uuid("11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(Restore(image.bytes, other).status().code(), absl::StatusCode::kInvalidArgument);
  // A guest of that name already running: ALREADY_EXISTS, nothing replaced.
  Create("web1", 2);
  EXPECT_EQ(Restore(image.bytes, SpecOf(d, 2)).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(SimSaveRestoreTest, TheMemoryModelSurvivesARestartOfTheSimulator) {
  const DomainFacts d = Create("web1", 2);
  GuestBehavior fast;
  fast.dirty_bytes_per_second = 4096 * 1000;
  fast.working_set_pages = 64;
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(d), fast).ok());
  Advance(absl::Seconds(2));
  StringSink before;
  ASSERT_TRUE(Save(d, before, true).ok());
  Open();  // the daemon restarts; the guest runs on
  StringSink after;
  ASSERT_TRUE(Save(d, after, true).ok());
  EXPECT_EQ(before.bytes, after.bytes);
  absl::StatusOr<GuestBehavior> now = sim_->SetGuestBehavior(Ref(d), GuestBehavior{});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->dirty_bytes_per_second, 4096 * 1000);
  EXPECT_EQ(now->working_set_pages, 64);
}

}  // namespace
}  // namespace xenia::hv
