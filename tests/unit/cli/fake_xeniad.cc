#include "tests/unit/cli/fake_xeniad.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "grpc/grpc.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace xenia::cli::testing {

using grpc::ServerContext;
using grpc::Status;
using xenia::v1::Operation;

namespace {

// Returns and clears fail_next; OK when none is set.
Status TakeFailure(FakeState& s, const std::string& method) {
  s.calls.push_back(method);
  Status failure = s.fail_next;
  s.fail_next = Status::OK;
  return failure;
}

}  // namespace

class FakeXeniad::Domains : public xenia::v1::DomainService::Service {
 public:
  explicit Domains(FakeXeniad& f) : f_(f) {}

  Status GetDomain(ServerContext*, const xenia::v1::GetDomainRequest* req,
                   xenia::v1::Domain* resp) override {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, "GetDomain"); !st.ok()) return st;
      s.last_name = req->name();
      for (const auto& d : s.domains) {
        if (d.name() == req->name()) {
          *resp = d;
          return Status::OK;
        }
      }
      return Status(grpc::StatusCode::NOT_FOUND,
                    absl::StrCat("domain ", req->name(), " not found"));
    });
  }

  Status ListDomains(ServerContext*, const xenia::v1::ListDomainsRequest* req,
                     xenia::v1::ListDomainsResponse* resp) override {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, "ListDomains"); !st.ok()) return st;
      s.last_list_domains = *req;
      size_t start = req->page_token().empty() ? 0 : std::stoul(req->page_token());
      size_t end = std::min(s.domains.size(), start + s.page_size_override);
      for (size_t i = start; i < end; ++i) *resp->add_domains() = s.domains[i];
      if (end < s.domains.size()) resp->set_next_page_token(std::to_string(end));
      resp->set_total_size(static_cast<int>(s.domains.size()));
      return Status::OK;
    });
  }

  Status CreateDomain(ServerContext*, const xenia::v1::CreateDomainRequest* req,
                      Operation* resp) override {
    return Mutate("CreateDomain", absl::StrCat("hosts/h1/domains/", req->spec().name()),
                  req->request_id(), resp, [&](FakeState& s) { s.last_create = *req; });
  }
  Status StartDomain(ServerContext*, const xenia::v1::StartDomainRequest* req,
                     Operation* resp) override {
    return Mutate("StartDomain", req->name(), req->request_id(), resp,
                  [&](FakeState& s) { s.last_start = *req; });
  }
  Status ShutdownDomain(ServerContext*, const xenia::v1::ShutdownDomainRequest* req,
                        Operation* resp) override {
    return Mutate("ShutdownDomain", req->name(), req->request_id(), resp,
                  [&](FakeState& s) { s.last_shutdown = *req; });
  }
  Status RebootDomain(ServerContext*, const xenia::v1::RebootDomainRequest* req,
                      Operation* resp) override {
    return Mutate("RebootDomain", req->name(), req->request_id(), resp,
                  [&](FakeState& s) { s.last_reboot = *req; });
  }
  Status DestroyDomain(ServerContext*, const xenia::v1::DestroyDomainRequest* req,
                       Operation* resp) override {
    return Mutate("DestroyDomain", req->name(), req->request_id(), resp, [](FakeState&) {});
  }
  Status PauseDomain(ServerContext*, const xenia::v1::PauseDomainRequest* req,
                     Operation* resp) override {
    return Mutate("PauseDomain", req->name(), req->request_id(), resp, [](FakeState&) {});
  }
  Status UnpauseDomain(ServerContext*, const xenia::v1::UnpauseDomainRequest* req,
                       Operation* resp) override {
    return Mutate("UnpauseDomain", req->name(), req->request_id(), resp, [](FakeState&) {});
  }
  Status DeleteDomain(ServerContext*, const xenia::v1::DeleteDomainRequest* req,
                      Operation* resp) override {
    return Mutate("DeleteDomain", req->name(), req->request_id(), resp, [](FakeState&) {});
  }
  Status SaveDomain(ServerContext*, const xenia::v1::SaveDomainRequest* req,
                    Operation* resp) override {
    return Mutate("SaveDomain", req->name(), req->request_id(), resp,
                  [&](FakeState& s) { s.last_save = *req; });
  }
  Status RestoreDomain(ServerContext*, const xenia::v1::RestoreDomainRequest* req,
                       Operation* resp) override {
    const std::string target = req->has_domain() ? req->domain() : req->image();
    return Mutate("RestoreDomain", target, req->request_id(), resp,
                  [&](FakeState& s) { s.last_restore = *req; });
  }
  Status MigrateDomain(ServerContext*, const xenia::v1::MigrateDomainRequest* req,
                       Operation* resp) override {
    return Mutate("MigrateDomain", req->name(), req->request_id(), resp,
                  [&](FakeState& s) { s.last_migrate = *req; });
  }

  // Sends the canned bytes without holding the lock, so that a slow client
  // does not block the state.
  Status SaveDomainToStream(ServerContext*, const xenia::v1::SaveDomainRequest* req,
                            grpc::ServerWriter<xenia::v1::ImageChunk>* writer) override {
    std::string bytes;
    size_t chunk_bytes = 1;
    Status failure;
    size_t fail_after = 0;
    const Status st = f_.With([&](FakeState& s) {
      if (Status taken = TakeFailure(s, "SaveDomainToStream"); !taken.ok()) return taken;
      s.last_save = *req;
      s.last_name = req->name();
      s.last_request_id = req->request_id();
      bytes = s.save_stream_bytes;
      chunk_bytes = std::max<size_t>(s.save_chunk_bytes, 1);
      failure = s.save_stream_failure;
      fail_after = s.save_fail_after;
      return Status::OK;
    });
    if (!st.ok()) return st;
    size_t sent = 0;
    for (size_t at = 0; at < bytes.size(); at += chunk_bytes, ++sent) {
      if (!failure.ok() && sent == fail_after) return failure;
      xenia::v1::ImageChunk chunk;
      chunk.set_data(bytes.substr(at, chunk_bytes));
      if (!writer->Write(chunk)) return Status(grpc::StatusCode::CANCELLED, "client went away");
    }
    return failure;
  }

  // Reads the whole stream without holding the lock, then records it.
  Status RestoreDomainFromStream(
      ServerContext*, grpc::ServerReader<xenia::v1::RestoreDomainFromStreamRequest>* reader,
      Operation* resp) override {
    xenia::v1::RestoreDomainFromStreamRequest message;
    xenia::v1::RestoreDomainRequest options;
    std::string bytes;
    std::vector<size_t> sizes;
    bool first = true;
    while (reader->Read(&message)) {
      if (first != message.has_options()) {
        return Status(grpc::StatusCode::INVALID_ARGUMENT,
                      "the options must come first, and only first");
      }
      if (first) {
        options = message.options();
      } else {
        bytes += message.chunk().data();
        sizes.push_back(message.chunk().data().size());
      }
      first = false;
    }
    if (first) return Status(grpc::StatusCode::INVALID_ARGUMENT, "no options");
    return Mutate("RestoreDomainFromStream", "hosts/h1/domains/restored", options.request_id(),
                  resp, [&](FakeState& s) {
                    s.last_restore = options;
                    s.restored_bytes = std::move(bytes);
                    s.restored_chunk_sizes = std::move(sizes);
                  });
  }

 private:
  template <typename Record>
  Status Mutate(const std::string& method, const std::string& target, const std::string& request_id,
                Operation* resp, Record record) {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, method); !st.ok()) return st;
      record(s);
      s.last_name = target;
      s.last_request_id = request_id;
      for (Operation& op : s.steps) {
        op.set_method(method);
        op.set_target(absl::StrCat("hosts/h1/domains/", target.substr(target.rfind('/') + 1)));
      }
      s.step = 0;
      *resp = s.steps.empty() ? MakeOperation(Operation::PENDING, 0) : s.steps[0];
      return Status::OK;
    });
  }

  FakeXeniad& f_;
};

class FakeXeniad::Operations : public xenia::v1::OperationService::Service {
 public:
  explicit Operations(FakeXeniad& f) : f_(f) {}

  Status GetOperation(ServerContext*, const xenia::v1::GetOperationRequest* req,
                      Operation* resp) override {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, "GetOperation"); !st.ok()) return st;
      s.last_name = req->name();
      if (s.steps.empty()) return Status(grpc::StatusCode::NOT_FOUND, "no such operation");
      *resp = s.steps[s.step];
      return Status::OK;
    });
  }

  Status ListOperations(ServerContext*, const xenia::v1::ListOperationsRequest* req,
                        xenia::v1::ListOperationsResponse* resp) override {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, "ListOperations"); !st.ok()) return st;
      s.last_list_operations = *req;
      for (const Operation& op : s.operations) *resp->add_operations() = op;
      return Status::OK;
    });
  }

  Status WaitOperation(ServerContext*, const xenia::v1::WaitOperationRequest* req,
                       Operation* resp) override {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, "WaitOperation"); !st.ok()) return st;
      s.last_wait = *req;
      if (s.steps.empty()) return Status(grpc::StatusCode::NOT_FOUND, "no such operation");
      if (s.step + 1 < s.steps.size()) ++s.step;
      *resp = s.steps[s.step];
      return Status::OK;
    });
  }

  Status CancelOperation(ServerContext*, const xenia::v1::CancelOperationRequest* req,
                         Operation* resp) override {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, "CancelOperation"); !st.ok()) return st;
      s.last_name = req->name();
      s.last_request_id = req->request_id();
      *resp = s.steps.empty() ? MakeOperation(Operation::RUNNING, 10) : s.steps[s.step];
      return Status::OK;
    });
  }

 private:
  FakeXeniad& f_;
};

class FakeXeniad::Hosts : public xenia::v1::HostService::Service {
 public:
  explicit Hosts(FakeXeniad& f) : f_(f) {}

  Status GetHost(ServerContext*, const xenia::v1::GetHostRequest* req,
                 xenia::v1::Host* resp) override {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, "GetHost"); !st.ok()) return st;
      s.last_name = req->name();
      *resp = s.host;
      return Status::OK;
    });
  }

 private:
  FakeXeniad& f_;
};

class FakeXeniad::Simulator : public xenia::v1::SimulatorService::Service {
 public:
  explicit Simulator(FakeXeniad& f) : f_(f) {}

  Status SetGuestBehavior(ServerContext*, const xenia::v1::SetGuestBehaviorRequest* req,
                          xenia::v1::SetGuestBehaviorResponse* resp) override {
    return f_.With([&](FakeState& s) {
      if (Status st = TakeFailure(s, "SetGuestBehavior"); !st.ok()) return st;
      s.last_behavior = *req;
      *resp->mutable_behavior() = req->behavior();
      return Status::OK;
    });
  }

 private:
  FakeXeniad& f_;
};

FakeXeniad::FakeXeniad()
    : domains_(std::make_unique<Domains>(*this)),
      operations_(std::make_unique<Operations>(*this)),
      hosts_(std::make_unique<Hosts>(*this)),
      simulator_(std::make_unique<Simulator>(*this)) {
  // Keeps gRPC initialised for the whole test binary: otherwise destroying
  // the last server shuts gRPC down, which after a streaming call can wait
  // ~10s for an executor thread's poll to time out.
  static const bool kGrpcKeptUp = (grpc_init(), true);
  (void)kGrpcKeptUp;
  std::string dir_template = ::testing::TempDir() + "xenia-cli-XXXXXX";
  char* made = mkdtemp(dir_template.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << dir_template;
  dir_ = dir_template;
  socket_path_ = dir_ + "/xeniad.sock";
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path_, grpc::InsecureServerCredentials());
  builder.RegisterService(domains_.get());
  builder.RegisterService(operations_.get());
  builder.RegisterService(hosts_.get());
  builder.RegisterService(simulator_.get());
  server_ = builder.BuildAndStart();
  EXPECT_NE(server_, nullptr) << "cannot listen on " << socket_path_;
}

FakeXeniad::~FakeXeniad() {
  if (server_ != nullptr) server_->Shutdown();
  unlink(socket_path_.c_str());
  rmdir(dir_.c_str());
}

Operation MakeOperation(Operation::State state, int percent, const std::string& message) {
  Operation op;
  op.set_name("hosts/h1/operations/op1");
  op.set_state(state);
  op.set_progress_percent(percent);
  op.set_progress_message(message);
  op.set_done(state == Operation::DONE || state == Operation::FAILED ||
              state == Operation::CANCELLED);
  op.mutable_create_time()->set_seconds(1714564800);  // 2024-05-01T12:00:00Z
  return op;
}

xenia::v1::Domain MakeDomain(const std::string& name, xenia::v1::PowerState state, int domid,
                             int64_t memory_mib, int vcpus, double cpu_seconds) {
  xenia::v1::Domain d;
  d.set_name("hosts/-/domains/" + name);
  d.mutable_spec()->set_name(name);
  d.mutable_spec()->set_memory_mib(memory_mib);
  d.mutable_spec()->set_vcpus(vcpus);
  d.mutable_status()->set_power_state(state);
  d.mutable_status()->set_managed(true);
  if (state == xenia::v1::RUNNING || state == xenia::v1::PAUSED) {
    d.mutable_status()->set_domid(domid);
    d.mutable_status()->set_current_memory_mib(memory_mib);
    d.mutable_status()->set_online_vcpus(vcpus);
    const double whole = std::floor(cpu_seconds);
    d.mutable_status()->mutable_cpu_time()->set_seconds(static_cast<int64_t>(whole));
    d.mutable_status()->mutable_cpu_time()->set_nanos(
        static_cast<int32_t>(std::lround((cpu_seconds - whole) * 1e9)));
  }
  return d;
}

}  // namespace xenia::cli::testing
