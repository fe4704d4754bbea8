// Every method of every xenia.v1 service must carry an access policy, so that
// a new method cannot ship without one; and the gate applies the roles.
#include "daemon/api/call_gate.h"

#include "daemon/api/v1_services.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace xenia {
namespace {

TEST(CallGate, EveryV1MethodHasAPolicy) {
  LinkV1Descriptors();
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  PeerCredentialTable peers;
  CallGate gate(CallGateOptions{}, peers);
  int methods = 0;
  for (const char* name : kV1Services) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      std::string full = "/" + service->full_name() + "/" + method->name();
      const xenia::v1::MethodPolicy* policy = gate.PolicyOf(full);
      ASSERT_NE(policy, nullptr) << full << " has no (xenia.v1.policy) option";
      EXPECT_NE(policy->required_role(), xenia::v1::ROLE_UNSPECIFIED) << full;
      // A mutating method takes a request_id (except streams, whose first
      // message carries it) — so that retries are safe.
      if (policy->mutating() && !method->client_streaming() &&
          policy->required_role() != xenia::v1::PEER &&
          policy->required_role() != xenia::v1::AGENT) {
        EXPECT_NE(method->input_type()->FindFieldByName("request_id"), nullptr)
            << full << " is mutating but its request has no request_id";
      }
      ++methods;
    }
  }
  EXPECT_GT(methods, 40);
}

TEST(CallGate, ServicesInTheListAreAllTheServicesOfThePackage) {
  LinkV1Descriptors();
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  const google::protobuf::FileDescriptor* file =
      pool->FindFileByName("xenia/v1/domain_service.proto");
  ASSERT_NE(file, nullptr);
  for (const char* name :
       {"xenia/v1/host.proto", "xenia/v1/operation.proto", "xenia/v1/event.proto",
        "xenia/v1/migration.proto", "xenia/v1/agent.proto", "xenia/v1/access.proto",
        "xenia/v1/fleet.proto", "xenia/v1/simulator.proto", "xenia/v1/domain_service.proto"}) {
    const google::protobuf::FileDescriptor* f = pool->FindFileByName(name);
    ASSERT_NE(f, nullptr) << name;
    for (int i = 0; i < f->service_count(); ++i) {
      std::string full = f->service(i)->full_name();
      bool listed = false;
      for (const char* s : kV1Services) listed |= full == s;
      EXPECT_TRUE(listed) << full << " is missing from kV1Services";
    }
  }
}

TEST(CallGate, RolesNest) {
  using xenia::v1::Role;
  EXPECT_TRUE(RoleAllows(xenia::v1::ADMIN, xenia::v1::OPERATOR));
  EXPECT_TRUE(RoleAllows(xenia::v1::OPERATOR, xenia::v1::VIEWER));
  EXPECT_FALSE(RoleAllows(xenia::v1::VIEWER, xenia::v1::OPERATOR));
  EXPECT_FALSE(RoleAllows(xenia::v1::ADMIN, xenia::v1::PEER));
  EXPECT_TRUE(RoleAllows(xenia::v1::PEER, xenia::v1::PEER));
  EXPECT_FALSE(RoleAllows(xenia::v1::ROLE_UNSPECIFIED, xenia::v1::VIEWER));
}

}  // namespace
}  // namespace xenia
