// POST /admin/reload: the HTTP face of ModelReloader. Only with the admin
// key (--admin-key, compared in constant time, never logged); without one
// configured the endpoint is off (403) and SIGHUP is the way to reload.
// The answer waits for the reload: 200 {"status": "reloaded" | "unchanged",
// "message", "model": {...}} when the (possibly new) model serves, 500 with
// the cause when the reload failed and the old model kept serving, 409 when
// another reload is under way.
#pragma once

#include <string>

#include "server/http_message.h"
#include "server/server_state.h"

namespace keel::server {

class ModelReloader;

HandlerResult handle_admin_reload(ServerState& state, ModelReloader* reloader, const HttpRequest& request,
                                  const std::string& request_id);

}  // namespace keel::server
