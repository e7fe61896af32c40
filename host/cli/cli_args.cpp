#include "cli/cli_args.hpp"

#include <iostream>
#include <sstream>

namespace po = boost::program_options;

namespace relais::cli {

std::optional<po::variables_map> parse_args(Subcommand &sub, const std::vector<std::string> &args) {
    sub.options.add_options()("help,h", "show this help");
    std::ostringstream usage;
    usage << "usage: " << sub.usage << "\n\n" << sub.options;
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(sub.options).positional(sub.positional).run(), vm);
        if (vm.count("help")) {
            std::cout << usage.str();
            return std::nullopt;
        }
        po::notify(vm);
    } catch (const po::error &e) {
        throw UsageError(std::string(e.what()) + "\n\n" + usage.str());
    }
    return vm;
}

}  // namespace relais::cli
