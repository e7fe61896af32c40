// The `relais` command line: one binary, one function per subcommand.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace relais::host {
class Redactor;
}

namespace relais::cli {

// Exit codes shared by every subcommand. Error classes map to 3 + class (see error_class.hpp).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the host could not do what was asked (no such plugin, unreadable file)
inline constexpr int kExitUsage = 2;

// Thrown for bad arguments; main prints the message and the subcommand's usage, exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Options every subcommand understands, and what they share.
struct GlobalOptions {
    std::filesystem::path plugin_dir;
    // Learns the secrets of the settings a command loads; hides them in its logs and output.
    std::shared_ptr<host::Redactor> redactor;
};

int plugins_command(const GlobalOptions &global, const std::vector<std::string> &args);
int test_command(const GlobalOptions &global, const std::vector<std::string> &args);
int exec_command(const GlobalOptions &global, const std::vector<std::string> &args);
int config_command(const GlobalOptions &global, const std::vector<std::string> &args);
int serve_command(const GlobalOptions &global, const std::vector<std::string> &args);
int jobs_command(const GlobalOptions &global, const std::vector<std::string> &args);

}  // namespace relais::cli
