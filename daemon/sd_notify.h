// Tells systemd (Type=notify) how the daemon is doing, by sending a datagram
// to $NOTIFY_SOCKET as sd_notify(3) does. Without NOTIFY_SOCKET it does
// nothing.
//
// Thread-safe: may be called from any thread.
#pragma once

#include "absl/strings/string_view.h"

namespace xenia {

// `state` is e.g. "READY=1" or "STOPPING=1\nSTATUS=draining". Returns false
// if the message could not be sent (or there is no one to send it to).
bool NotifySystemd(absl::string_view state);

}  // namespace xenia
