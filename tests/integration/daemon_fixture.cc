#include "tests/integration/daemon_fixture.h"

#include "absl/time/clock.h"
#include "daemon/proto_time.h"

namespace xenia::testing {

using xenia::v1::Operation;

void DaemonFixture::SetUp() {
  ASSERT_FALSE(dir_.path().empty());
  options_.state_dir = state_dir();
  options_.socket = socket();
  StartDaemon();
}

void DaemonFixture::TearDown() {
  if (daemon_ != nullptr) {
    int status = daemon_->Stop();
    EXPECT_EQ(status, 0) << "xeniad did not stop cleanly:\n" << daemon_->log();
    std::string log = daemon_->log();
    EXPECT_EQ(log.find("runtime error"), std::string::npos) << log;
    EXPECT_EQ(log.find("AddressSanitizer"), std::string::npos) << log;
  }
}

void DaemonFixture::StartDaemon() {
  std::string failure;
  daemon_ = DaemonProcess::Start(options_, &failure);
  ASSERT_NE(daemon_, nullptr) << "xeniad did not start:\n" << failure;
}

grpc::Status DaemonFixture::Create(const std::string& name, int64_t memory_mib, bool start,
                                   Operation* op, const std::string& request_id) {
  xenia::v1::CreateDomainRequest req;
  req.mutable_spec()->set_name(name);
  req.mutable_spec()->set_memory_mib(memory_mib);
  req.set_start(start);
  req.set_request_id(request_id);
  return daemon_->domains().CreateDomain(Context().get(), req, op);
}

Operation DaemonFixture::WaitDone(const Operation& op, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  Operation current = op;
  while (!current.done() && absl::Now() < deadline) {
    xenia::v1::WaitOperationRequest req;
    req.set_name(op.name());
    *req.mutable_timeout() = ToProto(deadline - absl::Now());
    grpc::Status s = daemon_->operations().WaitOperation(Context().get(), req, &current);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
  }
  EXPECT_TRUE(current.done()) << "operation did not finish: " << current.DebugString();
  return current;
}

xenia::v1::Domain DaemonFixture::CreateOrDie(const std::string& name, int64_t memory_mib,
                                             bool start) {
  Operation op;
  grpc::Status s = Create(name, memory_mib, start, &op);
  EXPECT_TRUE(s.ok()) << s.error_message();
  Operation done = WaitDone(op);
  EXPECT_EQ(done.state(), Operation::DONE) << done.DebugString();
  return done.domain();
}

grpc::Status DaemonFixture::Get(const std::string& name, xenia::v1::Domain* out) {
  xenia::v1::GetDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().GetDomain(Context().get(), req, out);
}

xenia::v1::Domain DaemonFixture::GetOrDie(const std::string& name) {
  xenia::v1::Domain d;
  grpc::Status s = Get(name, &d);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return d;
}

bool DaemonFixture::WaitForState(const std::string& name, xenia::v1::PowerState state,
                                 absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  xenia::v1::Domain d;
  while (absl::Now() < deadline) {
    if (Get(name, &d).ok() && d.status().power_state() == state &&
        d.status().current_operation().empty()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

grpc::Status DaemonFixture::Start(const std::string& name, Operation* op) {
  xenia::v1::StartDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().StartDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Destroy(const std::string& name, Operation* op) {
  xenia::v1::DestroyDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().DestroyDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Pause(const std::string& name, Operation* op) {
  xenia::v1::PauseDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().PauseDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Unpause(const std::string& name, Operation* op) {
  xenia::v1::UnpauseDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().UnpauseDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Delete(const std::string& name, Operation* op) {
  xenia::v1::DeleteDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().DeleteDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Shutdown(const std::string& name, absl::Duration timeout, bool force,
                                     Operation* op) {
  xenia::v1::ShutdownDomainRequest req;
  req.set_name(DomainName(name));
  *req.mutable_timeout() = ToProto(timeout);
  req.set_force(force);
  return daemon_->domains().ShutdownDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Reboot(const std::string& name, absl::Duration timeout, bool force,
                                   Operation* op) {
  xenia::v1::RebootDomainRequest req;
  req.set_name(DomainName(name));
  *req.mutable_timeout() = ToProto(timeout);
  req.set_force(force);
  return daemon_->domains().RebootDomain(Context().get(), req, op);
}

}  // namespace xenia::testing
