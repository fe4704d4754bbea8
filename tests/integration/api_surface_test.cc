// The API's surface as a stock client sees it: methods not built yet answer
// UNIMPLEMENTED and say so by name; the standard gRPC health service and
// server reflection are on (grpcurl and load balancers work); the caller on
// the unix socket is identified by its uid.
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "tests/integration/daemon_fixture.h"
#include "xenia/v1/access.grpc.pb.h"
#include "xenia/v1/agent.grpc.pb.h"
#include "xenia/v1/event.grpc.pb.h"
#include "xenia/v1/fleet.grpc.pb.h"
#include "xenia/v1/migration.grpc.pb.h"

namespace xenia::testing {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;
using grpc::StatusCode;

// Protobuf wire encoding of a string (or bytes) field.
std::string StringField(int number, const std::string& value) {
  std::string out;
  auto varint = [&out](uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  };
  varint((static_cast<uint64_t>(number) << 3) | 2);
  varint(value.size());
  out += value;
  return out;
}

// The fields numbered `number` of an encoded message.
std::vector<const UnknownField*> Fields(const UnknownFieldSet& set, int number) {
  std::vector<const UnknownField*> out;
  for (int i = 0; i < set.field_count(); ++i) {
    if (set.field(i).number() == number) out.push_back(&set.field(i));
  }
  return out;
}

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kReflection[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

class ApiSurfaceTest : public DaemonFixture {
 protected:
  // grpc.health.v1.Health/Check for `service`; `serving` gets the status
  // enum (1 = SERVING).
  grpc::Status Health(const std::string& service, int64_t* serving) {
    std::string reply;
    grpc::Status s = RawUnaryCall(daemon_->channel(), kHealthCheck,
                                  service.empty() ? "" : StringField(1, service), &reply);
    UnknownFieldSet fields;
    *serving = 0;
    if (s.ok() && fields.ParseFromString(reply) && !Fields(fields, 1).empty()) {
      *serving = static_cast<int64_t>(Fields(fields, 1)[0]->varint());
    }
    return s;
  }
};

TEST_F(ApiSurfaceTest, UnbuiltMethodsAreUnimplementedAndSaySo) {
  CreateOrDie("web", 256);
  // A streaming one (the guest agent's session).
  auto agents = xenia::v1::AgentService::NewStub(daemon_->channel());
  auto ctx = Context();
  auto stream = agents->Connect(ctx.get());
  xenia::v1::AgentMessage hello;
  hello.mutable_hello()->set_agent_version("1");
  stream->Write(hello);
  stream->WritesDone();
  xenia::v1::AgentRequest request;
  while (stream->Read(&request)) {
  }
  EXPECT_TRUE(IsError(stream->Finish(), StatusCode::UNIMPLEMENTED,
                      {"/xenia.v1.AgentService/Connect", "not implement"}));

  auto fleet = xenia::v1::FleetService::NewStub(daemon_->channel());
  xenia::v1::ListPeersRequest peers;
  xenia::v1::ListPeersResponse peers_out;
  EXPECT_TRUE(IsError(fleet->ListPeers(Context().get(), peers, &peers_out),
                      StatusCode::UNIMPLEMENTED, {"/xenia.v1.FleetService/ListPeers"}));

  auto access = xenia::v1::AccessService::NewStub(daemon_->channel());
  xenia::v1::CreateTokenRequest token;
  xenia::v1::CreateTokenResponse token_out;
  EXPECT_TRUE(IsError(access->CreateToken(Context().get(), token, &token_out),
                      StatusCode::UNIMPLEMENTED, {"/xenia.v1.AccessService/CreateToken"}));

  // Nothing happened to the domain.
  EXPECT_EQ(GetOrDie("web").status().power_state(), xenia::v1::RUNNING);
}

TEST_F(ApiSurfaceTest, HealthServiceReportsServing) {
  int64_t serving = 0;
  ASSERT_TRUE(Health("", &serving).ok());
  EXPECT_EQ(serving, 1);
  for (const char* service : {"xenia.v1.DomainService", "xenia.v1.HostService",
                              "xenia.v1.OperationService", "xenia.v1.SimulatorService"}) {
    grpc::Status s = Health(service, &serving);
    ASSERT_TRUE(s.ok()) << service << ": " << s.error_message();
    EXPECT_EQ(serving, 1) << service;
  }
  EXPECT_TRUE(IsError(Health("no.such.Service", &serving), StatusCode::NOT_FOUND));
}

TEST_F(ApiSurfaceTest, ReflectionListsEveryService) {
  // ServerReflectionRequest.list_services (field 7).
  std::vector<std::string> replies;
  grpc::Status s = RawBidiCall(daemon_->channel(), kReflection, {StringField(7, "")}, &replies);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(replies.size(), 1u);
  UnknownFieldSet reply;
  ASSERT_TRUE(reply.ParseFromString(replies[0]));
  // list_services_response (6) { repeated ServiceResponse service = 1 { name = 1 } }.
  std::vector<const UnknownField*> list = Fields(reply, 6);
  ASSERT_EQ(list.size(), 1u) << "no list_services_response";
  UnknownFieldSet services;
  ASSERT_TRUE(services.ParseFromString(list[0]->length_delimited()));
  std::vector<std::string> names;
  for (const UnknownField* service : Fields(services, 1)) {
    UnknownFieldSet fields;
    ASSERT_TRUE(fields.ParseFromString(service->length_delimited()));
    for (const UnknownField* name : Fields(fields, 1)) names.push_back(name->length_delimited());
  }
  for (const char* want :
       {"xenia.v1.HostService", "xenia.v1.DomainService", "xenia.v1.OperationService",
        "xenia.v1.EventService", "xenia.v1.MigrationService", "xenia.v1.AgentService",
        "xenia.v1.AccessService", "xenia.v1.FleetService", "xenia.v1.SimulatorService",
        "grpc.health.v1.Health"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end())
        << want << " is not listed; listed: " << absl::StrJoin(names, ", ");
  }
}

TEST_F(ApiSurfaceTest, ReflectionServesTheDescriptors) {
  // file_containing_symbol (field 4).
  std::vector<std::string> replies;
  grpc::Status s = RawBidiCall(daemon_->channel(), kReflection,
                               {StringField(4, "xenia.v1.DomainService")}, &replies);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(replies.size(), 1u);
  UnknownFieldSet reply;
  ASSERT_TRUE(reply.ParseFromString(replies[0]));
  // file_descriptor_response (4) { repeated bytes file_descriptor_proto = 1 }.
  std::vector<const UnknownField*> files = Fields(reply, 4);
  ASSERT_EQ(files.size(), 1u) << "no file_descriptor_response";
  UnknownFieldSet protos;
  ASSERT_TRUE(protos.ParseFromString(files[0]->length_delimited()));
  bool found = false;
  for (const UnknownField* bytes : Fields(protos, 1)) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes->length_delimited()));
    if (file.name() != "xenia/v1/domain_service.proto") continue;
    found = true;
    EXPECT_EQ(file.package(), "xenia.v1");
    ASSERT_EQ(file.service_size(), 1);
    EXPECT_EQ(file.service(0).name(), "DomainService");
    bool has_create = false;
    for (const auto& method : file.service(0).method()) {
      if (method.name() == "CreateDomain") has_create = true;
    }
    EXPECT_TRUE(has_create);
  }
  EXPECT_TRUE(found) << "xenia/v1/domain_service.proto was not served";
}

TEST_F(ApiSurfaceTest, UnixSocketCallerIsAnAdminByUid) {
  auto access = xenia::v1::AccessService::NewStub(daemon_->channel());
  xenia::v1::GetCallerRequest req;
  xenia::v1::Caller caller;
  grpc::Status s = access->GetCaller(Context().get(), req, &caller);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(caller.principal(), absl::StrCat("uid:", geteuid()));
  EXPECT_EQ(caller.role(), xenia::v1::ADMIN);
  EXPECT_EQ(caller.authentication(), "unix");
  // Operations record who asked.
  xenia::v1::Operation op;
  ASSERT_TRUE(Create("who", 256, false, &op).ok());
  EXPECT_EQ(op.principal(), caller.principal());
}

}  // namespace
}  // namespace xenia::testing
