#include "daemon/api/call_gate.h"

#include <grp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "daemon/api/v1_services.h"
#include "google/protobuf/descriptor.h"
#include "xenia/v1/access.pb.h"
#include "xenia/v1/agent.pb.h"
#include "xenia/v1/domain_service.pb.h"
#include "xenia/v1/event.pb.h"
#include "xenia/v1/fleet.pb.h"
#include "xenia/v1/host.pb.h"
#include "xenia/v1/migration.pb.h"
#include "xenia/v1/operation.pb.h"
#include "xenia/v1/simulator.pb.h"

namespace xenia {

bool RoleAllows(xenia::v1::Role role, xenia::v1::Role required) {
  using xenia::v1::Role;
  auto rank = [](Role r) {
    switch (r) {
      case xenia::v1::VIEWER:
        return 1;
      case xenia::v1::OPERATOR:
        return 2;
      case xenia::v1::ADMIN:
        return 3;
      default:
        return 0;
    }
  };
  if (required == xenia::v1::PEER || required == xenia::v1::AGENT) return role == required;
  return rank(role) >= rank(required) && rank(required) > 0;
}

void LinkV1Descriptors() {
  // Static libraries drop object files nothing refers to; touching one type
  // of each proto file keeps every xenia.v1 file in the descriptor pool.
  (void)xenia::v1::Host::descriptor();
  (void)xenia::v1::CreateDomainRequest::descriptor();
  (void)xenia::v1::Operation::descriptor();
  (void)xenia::v1::Event::descriptor();
  (void)xenia::v1::MigrationMessage::descriptor();
  (void)xenia::v1::GuestInfo::descriptor();
  (void)xenia::v1::Token::descriptor();
  (void)xenia::v1::Peer::descriptor();
  (void)xenia::v1::GuestBehavior::descriptor();
}

CallGate::CallGate(CallGateOptions options, const PeerCredentialTable& peers)
    : options_(options), peers_(peers) {
  LinkV1Descriptors();
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const char* service_name : kV1Services) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(service_name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(xenia::v1::policy)) continue;
      policies_[absl::StrCat("/", service->full_name(), "/", method->name())] =
          method->options().GetExtension(xenia::v1::policy);
    }
  }
}

const xenia::v1::MethodPolicy* CallGate::PolicyOf(absl::string_view method) const {
  auto it = policies_.find(method);
  return it == policies_.end() ? nullptr : &it->second;
}

namespace {

// Compares in time independent of where the first difference is.
bool SameSecret(absl::string_view a, absl::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

}  // namespace

absl::StatusOr<Caller> CallGate::Identify(const grpc::ServerContextBase& ctx) const {
  std::string peer = ctx.peer();
  Caller caller;
  caller.source_address = peer;
  if (absl::StartsWith(peer, "fd:")) {
    int fd = -1;
    std::optional<PeerCredentials> creds;
    if (absl::SimpleAtoi(absl::string_view(peer).substr(3), &fd)) creds = peers_.Lookup(fd);
    if (!creds.has_value()) {
      return absl::UnauthenticatedError("cannot identify the caller on the unix socket");
    }
    caller.authentication = "unix";
    caller.principal = absl::StrCat("uid:", creds->uid);
    caller.source_address = absl::StrCat("unix:pid=", creds->pid);
    bool admin = creds->uid == 0 || creds->uid == options_.daemon_uid ||
                 (options_.admin_gid != static_cast<gid_t>(-1) && creds->gid == options_.admin_gid);
    caller.role = admin ? xenia::v1::ADMIN : xenia::v1::ROLE_UNSPECIFIED;
    return caller;
  }
  if (absl::StartsWith(peer, "ipv4:127.") || absl::StartsWith(peer, "ipv6:[::1]") ||
      absl::StartsWith(peer, "ipv6:%5B::1%5D")) {
    caller.authentication = "tcp";
    caller.principal = absl::StrCat("anonymous@", peer);
    caller.role = options_.loopback_tcp_role;
    const auto& metadata = ctx.client_metadata();
    auto auth = metadata.find("authorization");
    if (auth != metadata.end()) {
      absl::string_view presented(auth->second.data(), auth->second.size());
      if (options_.peer_token.empty() || !absl::ConsumePrefix(&presented, "Bearer ") ||
          !SameSecret(presented, options_.peer_token)) {
        return absl::UnauthenticatedError(absl::StrCat(
            "the token ", peer, " presented is not this host's peer token",
            options_.peer_token.empty() ? " (this xeniad has no peer_token_file)" : ""));
      }
      caller.authentication = "peer-token";
      caller.principal = absl::StrCat("peer@", peer);
      caller.role = xenia::v1::PEER;
    }
    return caller;
  }
  return absl::UnauthenticatedError(absl::StrCat("cannot authenticate a caller from ", peer));
}

absl::StatusOr<Caller> CallGate::Admit(const grpc::ServerContextBase& ctx,
                                       absl::string_view method) const {
  const xenia::v1::MethodPolicy* policy = PolicyOf(method);
  if (policy == nullptr) {
    return absl::InternalError(absl::StrCat(method, " has no access policy; refusing it"));
  }
  absl::StatusOr<Caller> caller = Identify(ctx);
  if (!caller.ok()) return caller.status();
  if (!RoleAllows(caller->role, policy->required_role())) {
    return absl::PermissionDeniedError(absl::StrCat(
        caller->principal, " may not call ", method, ": it needs the ",
        absl::AsciiStrToLower(xenia::v1::Role_Name(policy->required_role())), " role"));
  }
  return caller;
}

}  // namespace xenia
