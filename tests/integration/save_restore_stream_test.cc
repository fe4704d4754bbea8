// SaveDomainToStream and RestoreDomainFromStream through the real daemon:
// the image travels in the call and nothing is kept on the host; a caller
// that goes away mid-save leaves the guest running, one that goes away
// mid-restore (or sends a truncated or foreign stream) leaves nothing behind.
#include <filesystem>
#include <map>

#include "grpcpp/client_context.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using xenia::v1::Operation;

constexpr size_t kChunk = size_t{1} << 20;

class SaveRestoreStreamTest : public DaemonFixture {
 protected:
  // The whole streamed image, or the call's error.
  grpc::Status SaveToStream(const std::string& name, bool checkpoint, std::string* image,
                            const std::string& request_id = "") {
    xenia::v1::SaveDomainRequest request;
    request.set_name("hosts/-/domains/" + name);
    request.set_checkpoint(checkpoint);
    request.set_request_id(request_id);
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<xenia::v1::ImageChunk>> reader =
        daemon_->domains().SaveDomainToStream(&ctx, request);
    xenia::v1::ImageChunk chunk;
    image->clear();
    while (reader->Read(&chunk)) image->append(chunk.data());
    return reader->Finish();
  }

  // Sends `options` then `image` in chunks; the call's status, and the
  // operation it answers with.
  grpc::Status RestoreFromStream(const std::string& image, Operation* op,
                                 const xenia::v1::RestoreDomainRequest& options = {}) {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientWriter<xenia::v1::RestoreDomainFromStreamRequest>> writer =
        daemon_->domains().RestoreDomainFromStream(&ctx, op);
    xenia::v1::RestoreDomainFromStreamRequest message;
    *message.mutable_options() = options;
    bool open = writer->Write(message);
    for (size_t at = 0; open && at < image.size(); at += kChunk) {
      message.mutable_chunk()->set_data(image.substr(at, kChunk));
      open = writer->Write(message);
    }
    if (open) writer->WritesDone();
    return writer->Finish();
  }

  // The last operation of `method` on the domain, once it has ended.
  Operation LastEnded(const std::string& method, const std::string& name) {
    Operation last;
    EXPECT_TRUE(WaitUntil([&] {
      std::vector<Operation> ops = ListAllOperations(
          "method = \"" + method + "\" AND target = \"hosts/-/domains/" + name + "\"");
      if (ops.empty() || !ops.front().done()) return false;
      last = ops.front();
      return true;
    })) << "no ended "
        << method << " of " << name;
    return last;
  }

  void RemoveDomain(const std::string& name) {
    Operation op;
    ASSERT_TRUE(Destroy(name, &op).ok());
    ASSERT_EQ(WaitDone(op).state(), Operation::DONE);
    ASSERT_TRUE(Delete(name, &op).ok());
    ASSERT_EQ(WaitDone(op).state(), Operation::DONE);
  }

  bool ImageDirectoryIsEmpty() {
    const std::string dir = state_dir() + "/images";
    return !std::filesystem::exists(dir) || std::filesystem::is_empty(dir);
  }
};

TEST_F(SaveRestoreStreamTest, AStreamedImageBringsTheDomainBackAndNothingStaysOnTheHost) {
  CreateOrDie("web1", 24);
  std::string image;
  grpc::Status saved = SaveToStream("web1", false, &image);
  ASSERT_TRUE(saved.ok()) << saved.error_message();
  EXPECT_GT(image.size(), size_t{24} << 20);
  EXPECT_EQ(image.substr(0, 6), "\x89XENIA");

  Operation save = LastEnded("SaveDomainToStream", "web1");
  EXPECT_EQ(save.state(), Operation::DONE) << save.DebugString();
  EXPECT_EQ(save.save_image().size_bytes(), static_cast<int64_t>(image.size()));
  EXPECT_TRUE(save.save_image().path().empty());
  xenia::v1::Domain suspended = GetOrDie("web1");
  EXPECT_EQ(suspended.status().power_state(), xenia::v1::SUSPENDED);
  EXPECT_TRUE(suspended.status().save_image().empty());
  EXPECT_EQ(CountRows("save_images"), 0);
  EXPECT_TRUE(ImageDirectoryIsEmpty());
  EXPECT_TRUE(SimulatedDomains().empty());

  Operation op;
  grpc::Status restored = RestoreFromStream(image, &op);
  ASSERT_TRUE(restored.ok()) << restored.error_message();
  // The call answers once the restore has ended.
  ASSERT_TRUE(op.done()) << op.DebugString();
  ASSERT_EQ(op.state(), Operation::DONE) << op.DebugString();
  EXPECT_EQ(op.method(), "RestoreDomainFromStream");
  EXPECT_EQ(op.domain().status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(SimulatedDomains().at("web1").power_state(), xenia::v1::RUNNING);
}

TEST_F(SaveRestoreStreamTest, AStreamedCheckpointDefinesTheDomainAgainWhereItIsGone) {
  CreateOrDie("web1", 16);
  std::string image;
  ASSERT_TRUE(SaveToStream("web1", true, &image).ok());
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::RUNNING);
  EXPECT_TRUE(LastEnded("SaveDomainToStream", "web1").save_image().checkpoint());
  RemoveDomain("web1");

  xenia::v1::RestoreDomainRequest options;
  options.set_paused(true);
  Operation op;
  ASSERT_TRUE(RestoreFromStream(image, &op, options).ok());
  ASSERT_EQ(op.state(), Operation::DONE) << op.DebugString();
  xenia::v1::Domain back = GetOrDie("web1");
  EXPECT_EQ(back.status().power_state(), xenia::v1::PAUSED);
  EXPECT_EQ(back.spec().memory_mib(), 16);
}

TEST_F(SaveRestoreStreamTest, ACallerThatGoesAwayMidSaveLeavesTheGuestRunning) {
  xenia::v1::Domain d = CreateOrDie("web1", 64);
  {
    xenia::v1::SaveDomainRequest request;
    request.set_name("hosts/-/domains/web1");
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<xenia::v1::ImageChunk>> reader =
        daemon_->domains().SaveDomainToStream(&ctx, request);
    xenia::v1::ImageChunk chunk;
    ASSERT_TRUE(reader->Read(&chunk));
    ctx.TryCancel();
    while (reader->Read(&chunk)) {
    }
    EXPECT_FALSE(reader->Finish().ok());
  }
  Operation save = LastEnded("SaveDomainToStream", "web1");
  EXPECT_EQ(save.state(), Operation::FAILED) << save.DebugString();
  EXPECT_NE(save.error().message().find("the caller went away"), std::string::npos)
      << save.error().message();
  xenia::v1::Domain after = GetOrDie("web1");
  EXPECT_EQ(after.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(after.status().domid(), d.status().domid());
  EXPECT_EQ(SimulatedDomains().at("web1").power_state(), xenia::v1::RUNNING);
  EXPECT_TRUE(ImageDirectoryIsEmpty());
}

TEST_F(SaveRestoreStreamTest, ATruncatedStreamRestoresNothing) {
  CreateOrDie("web1", 16);
  std::string image;
  ASSERT_TRUE(SaveToStream("web1", true, &image).ok());
  RemoveDomain("web1");

  Operation op;
  ASSERT_TRUE(RestoreFromStream(image.substr(0, image.size() / 2), &op).ok());
  ASSERT_EQ(op.state(), Operation::FAILED) << op.DebugString();
  EXPECT_EQ(op.error().code(), static_cast<int>(grpc::StatusCode::DATA_LOSS));
  EXPECT_NE(op.error().message().find("the image from the caller's stream is truncated"),
            std::string::npos)
      << op.error().message();
  xenia::v1::Domain gone;
  EXPECT_EQ(Get("web1", &gone).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(SimulatedDomains().empty());

  // One flipped byte in the middle of the pages: the same, DATA_LOSS.
  std::string damaged = image;
  damaged[damaged.size() / 2] ^= 0x20;
  ASSERT_TRUE(RestoreFromStream(damaged, &op).ok());
  ASSERT_EQ(op.state(), Operation::FAILED) << op.DebugString();
  EXPECT_EQ(op.error().code(), static_cast<int>(grpc::StatusCode::DATA_LOSS));
  EXPECT_EQ(Get("web1", &gone).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(SimulatedDomains().empty());

  // The whole image still works.
  ASSERT_TRUE(RestoreFromStream(image, &op).ok());
  EXPECT_EQ(op.state(), Operation::DONE) << op.DebugString();
}

TEST_F(SaveRestoreStreamTest, ACallerThatGoesAwayMidRestoreLeavesNothing) {
  CreateOrDie("web1", 32);
  std::string image;
  ASSERT_TRUE(SaveToStream("web1", true, &image).ok());
  RemoveDomain("web1");
  {
    grpc::ClientContext ctx;
    Operation op;
    std::unique_ptr<grpc::ClientWriter<xenia::v1::RestoreDomainFromStreamRequest>> writer =
        daemon_->domains().RestoreDomainFromStream(&ctx, &op);
    xenia::v1::RestoreDomainFromStreamRequest message;
    message.mutable_options();
    ASSERT_TRUE(writer->Write(message));
    for (size_t at = 0; at < 4 * kChunk; at += kChunk) {
      message.mutable_chunk()->set_data(image.substr(at, kChunk));
      ASSERT_TRUE(writer->Write(message));
    }
    // The restore has started on the header and is waiting for more.
    ASSERT_TRUE(WaitUntil(
        [&] { return !ListAllOperations("method = \"RestoreDomainFromStream\"").empty(); }));
    ctx.TryCancel();
    EXPECT_FALSE(writer->Finish().ok());
  }
  Operation restore = LastEnded("RestoreDomainFromStream", "web1");
  EXPECT_EQ(restore.state(), Operation::FAILED) << restore.DebugString();
  EXPECT_NE(restore.error().message().find("the caller went away"), std::string::npos)
      << restore.error().message();
  xenia::v1::Domain gone;
  EXPECT_EQ(Get("web1", &gone).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(SimulatedDomains().empty());
}

TEST_F(SaveRestoreStreamTest, MalformedCallsAreRefusedSayingWhatIsWrong) {
  CreateOrDie("web1", 16);
  std::string image;
  // A streamed save cannot be replayed, so it takes no request_id.
  grpc::Status s = SaveToStream("web1", false, &image, "retry-1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("request_id"), std::string::npos) << s.error_message();
  EXPECT_TRUE(image.empty());
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::RUNNING);

  // Not a domain stream at all.
  Operation op;
  s = RestoreFromStream("GIF89a and other things", &op);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("not a Xenia domain stream"), std::string::npos)
      << s.error_message();
  // Empty.
  s = RestoreFromStream("", &op);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("empty"), std::string::npos) << s.error_message();
  // The options name a source: the stream is the source.
  xenia::v1::RestoreDomainRequest options;
  options.set_image("web1.xsave");
  s = RestoreFromStream("", &op, options);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("options.domain"), std::string::npos) << s.error_message();
  // The first message carries image bytes instead of the options.
  {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientWriter<xenia::v1::RestoreDomainFromStreamRequest>> writer =
        daemon_->domains().RestoreDomainFromStream(&ctx, &op);
    xenia::v1::RestoreDomainFromStreamRequest message;
    message.mutable_chunk()->set_data("\x89XENIA\r\n");
    writer->Write(message);
    writer->WritesDone();
    s = writer->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("first message must carry the options"), std::string::npos)
        << s.error_message();
  }
  // A running domain cannot be restored over.
  ASSERT_TRUE(SaveToStream("web1", true, &image).ok());
  s = RestoreFromStream(image, &op);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::RUNNING);
  EXPECT_TRUE(ListAllOperations("method = \"RestoreDomainFromStream\"").empty());
}

// A kill while the save holds the guest paused (its caller reads slowly):
// the restarted daemon keeps no image and lets the guest run on.
TEST_F(SaveRestoreStreamTest, AKillMidSaveLeavesTheGuestRunningAndNoImage) {
  xenia::v1::Domain d = CreateOrDie("web1", 64);
  {
    xenia::v1::SaveDomainRequest request;
    request.set_name("hosts/-/domains/web1");
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<xenia::v1::ImageChunk>> reader =
        daemon_->domains().SaveDomainToStream(&ctx, request);
    xenia::v1::ImageChunk chunk;
    ASSERT_TRUE(reader->Read(&chunk));
    // The save is under way and waits for this caller, the guest paused.
    ASSERT_TRUE(WaitUntil([&] {
      auto sim = SimulatedDomains();
      return sim.count("web1") == 1 && sim.at("web1").power_state() == xenia::v1::PAUSED;
    }));
    KillAndRestartDaemon();
    ctx.TryCancel();
  }
  Operation save = LastEnded("SaveDomainToStream", "web1");
  EXPECT_EQ(save.state(), Operation::FAILED) << save.DebugString();
  EXPECT_NE(save.error().message().find("no image was kept"), std::string::npos)
      << save.error().message();
  xenia::v1::Domain after = GetOrDie("web1");
  EXPECT_EQ(after.status().power_state(), xenia::v1::RUNNING) << after.DebugString();
  EXPECT_EQ(after.status().domid(), d.status().domid());
  EXPECT_EQ(SimulatedDomains().at("web1").power_state(), xenia::v1::RUNNING);
  EXPECT_TRUE(ImageDirectoryIsEmpty());
  EXPECT_EQ(CountRows("save_images"), 0);
}

// A kill while a restore waits for more of the image: the restarted daemon
// leaves no half-restored guest, and the domain is as it was before.
TEST_F(SaveRestoreStreamTest, AKillMidRestoreLeavesTheDomainAsItWas) {
  CreateOrDie("web1", 32);
  std::string image;
  ASSERT_TRUE(SaveToStream("web1", false, &image).ok());
  ASSERT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::SUSPENDED);
  {
    grpc::ClientContext ctx;
    Operation op;
    std::unique_ptr<grpc::ClientWriter<xenia::v1::RestoreDomainFromStreamRequest>> writer =
        daemon_->domains().RestoreDomainFromStream(&ctx, &op);
    xenia::v1::RestoreDomainFromStreamRequest message;
    message.mutable_options();
    ASSERT_TRUE(writer->Write(message));
    for (size_t at = 0; at < 4 * kChunk; at += kChunk) {
      message.mutable_chunk()->set_data(image.substr(at, kChunk));
      ASSERT_TRUE(writer->Write(message));
    }
    ASSERT_TRUE(WaitUntil([&] {
      std::vector<Operation> ops = ListAllOperations("method = \"RestoreDomainFromStream\"");
      return !ops.empty() && ops.front().state() == Operation::RUNNING;
    }));
    KillAndRestartDaemon();
    ctx.TryCancel();
  }
  Operation restore = LastEnded("RestoreDomainFromStream", "web1");
  EXPECT_EQ(restore.state(), Operation::FAILED) << restore.DebugString();
  xenia::v1::Domain after = GetOrDie("web1");
  EXPECT_EQ(after.status().power_state(), xenia::v1::SUSPENDED) << after.DebugString();
  EXPECT_TRUE(SimulatedDomains().empty());
  // The image still brings it back.
  Operation op;
  ASSERT_TRUE(RestoreFromStream(image, &op).ok());
  EXPECT_EQ(op.state(), Operation::DONE) << op.DebugString();
}

}  // namespace
}  // namespace xenia::testing
