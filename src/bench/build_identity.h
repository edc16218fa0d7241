// Which keel measured a result: its version and the git commit it was built
// from ("unknown" when the tree was not a git checkout at configure time).
#pragma once

#include <string>

namespace keel::bench {

std::string keel_version();
std::string keel_git_commit();

}  // namespace keel::bench
