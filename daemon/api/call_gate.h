// CallGate: the single seam every RPC passes through before it does anything.
// It establishes who the caller is (today: the peer's uid on the unix socket,
// another xeniad presenting the fleet's peer token, an anonymous local client
// on loopback TCP) and whether the caller's role
// may call the method, as the method's (xenia.v1.policy) option says.
//
// Every handler's first line is Admit(); a test enumerates every method of
// every xenia.v1 service to check that each carries a policy.
//
// Thread-safe: immutable after construction, apart from the credential
// table, which is itself thread-safe.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/api/peer_credentials.h"
#include "grpcpp/server_context.h"
#include "xenia/v1/annotations.pb.h"

namespace xenia {

struct Caller {
  // "uid:0", "anonymous@127.0.0.1:40000", …
  std::string principal;
  xenia::v1::Role role = xenia::v1::ROLE_UNSPECIFIED;
  // "unix", "tcp".
  std::string authentication;
  std::string source_address;
};

struct CallGateOptions {
  // Unix-socket peers with this uid (the daemon's own) or uid 0 are admins.
  uid_t daemon_uid = 0;
  // Members of this group (by primary gid) are admins too; -1: none.
  gid_t admin_gid = static_cast<gid_t>(-1);
  // The role of clients on loopback TCP (no authentication exists yet).
  xenia::v1::Role loopback_tcp_role = xenia::v1::VIEWER;
  // The fleet's shared migration secret: a TCP caller presenting it as
  // "authorization: Bearer TOKEN" has the peer role. Empty: nobody has.
  std::string peer_token;
};

class CallGate {
 public:
  CallGate(CallGateOptions options, const PeerCredentialTable& peers);

  // `method` is the full gRPC method, "/xenia.v1.DomainService/StartDomain".
  // UNAUTHENTICATED when the caller cannot be identified, PERMISSION_DENIED
  // naming the role needed when its role is too weak, INTERNAL if the method
  // has no policy (a bug the policy test exists to catch).
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& ctx, absl::string_view method) const;

  // The policy of a method, or nullptr if it has none.
  const xenia::v1::MethodPolicy* PolicyOf(absl::string_view method) const;

 private:
  absl::StatusOr<Caller> Identify(const grpc::ServerContextBase& ctx) const;

  CallGateOptions options_;
  const PeerCredentialTable& peers_;
  absl::flat_hash_map<std::string, xenia::v1::MethodPolicy> policies_;
};

// Whether `role` includes `required` (VIEWER < OPERATOR < ADMIN; PEER and
// AGENT are separate and included by nothing else).
bool RoleAllows(xenia::v1::Role role, xenia::v1::Role required);

}  // namespace xenia
