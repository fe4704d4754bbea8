// The one place where absl::Status becomes grpc::Status, and the request
// checks every handler shares.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"

namespace xenia {

grpc::Status ToGrpcStatus(const absl::Status& status);

// INVALID_ARGUMENT if `message` (or any message inside it) carries fields
// this server does not know — a client built from a newer API, or a typo in
// hand-written binary. Nothing is silently dropped.
absl::Status CheckNoUnknownFields(const google::protobuf::Message& message);

// INVALID_ARGUMENT if a request_id is longer than 128 characters or holds
// characters outside printable ASCII.
absl::Status CheckRequestId(absl::string_view request_id);

// `request` serialized deterministically with its `request_id` field
// cleared: what a repeat of the request_id is compared against.
std::string RequestFingerprint(const google::protobuf::Message& request);

}  // namespace xenia
