// relais jobs list | show | retry | cancel: the job store of a data directory, read and
// changed directly (SQLite in WAL mode takes a second process beside a running service, whose
// scheduler sees retries and cancellations at its next poll).
#include "cli/cli.hpp"
#include "cli/cli_args.hpp"

#include "config/host_config.hpp"
#include "jobs/sqlite_job_store.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <chrono>
#include <iomanip>
#include <iostream>

namespace po = boost::program_options;

namespace relais::cli {
namespace {

std::string iso(int64_t ms) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000), Poco::DateTimeFormat::ISO8601_FORMAT);
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void add_location_options(Subcommand &sub) {
    sub.options.add_options()("config,c", po::value<std::string>()->default_value(""),
                              "configuration file whose host.data_dir holds the jobs")(
        "data-dir", po::value<std::string>()->default_value(""), "data directory (default: ./data)");
}

std::filesystem::path data_dir(const po::variables_map &vm) {
    if (!vm["data-dir"].as<std::string>().empty()) return vm["data-dir"].as<std::string>();
    const auto config = vm["config"].as<std::string>();
    const auto env = host::process_environment();
    return (config.empty() ? host::default_config(env) : host::load_config(config, env)).host.data_dir;
}

std::unique_ptr<host::SqliteJobStore> open_store(const po::variables_map &vm) {
    const auto dir = data_dir(vm);
    if (!std::filesystem::exists(dir / host::SqliteJobStore::kFileName))
        throw std::runtime_error("no job store in " + dir.string() + " (give --data-dir or --config)");
    return std::make_unique<host::SqliteJobStore>(dir);
}

host::JobId parse_id(const std::string &text) {
    try {
        size_t used = 0;
        const auto id = std::stoll(text, &used);
        if (used == text.size() && id > 0) return id;
    } catch (const std::exception &) {
    }
    throw UsageError("job id must be a positive integer, not '" + text + "'");
}

void print_job(const host::JobDetail &d) {
    const auto &j = d.job;
    std::cout << "job " << j.id << ": " << j.connector << "." << j.action << "  " << host::to_string(j.state) << "\n"
              << "  attempts " << j.attempts << " of " << j.max_attempts << ", run at " << iso(j.run_at)
              << ", created " << iso(j.created_at) << "\n";
    if (j.idempotency_key) std::cout << "  idempotency key " << *j.idempotency_key << "\n";
    std::cout << "  steps completed " << j.step << "\n";
    if (j.checkpoint) std::cout << "  progress " << *j.checkpoint << "\n";
    if (j.state == host::JobState::queued || j.state == host::JobState::waiting ||
        j.state == host::JobState::failed_retrying)
        std::cout << "  next run " << iso(j.run_at) << "\n";
    if (j.deadline_at) std::cout << "  deadline " << iso(*j.deadline_at) << "\n";
    std::cout << "  input " << j.input << "\n";
    if (j.result) std::cout << "  result " << *j.result << "\n";
    if (j.last_error) std::cout << "  last error (" << j.last_error->error_class << "): " << j.last_error->message << "\n";
    for (const auto &a : d.attempts)
        std::cout << "  #" << a.number << " " << iso(a.started_at) << " " << (a.outcome ? *a.outcome : "running")
                  << (a.message.empty() ? "" : ": " + a.message) << "\n";
}

int list(const std::vector<std::string> &args) {
    Subcommand sub{"relais jobs list [--state S] [--connector NAME] [--limit N] [--data-dir DIR | --config FILE]"};
    add_location_options(sub);
    sub.options.add_options()("state", po::value<std::string>(), "queued, running, waiting, succeeded, failed_retrying, dead, cancelled")(
        "connector", po::value<std::string>(), "only this connector's jobs")(
        "limit", po::value<int>()->default_value(50), "at most this many, newest first");
    auto vm = parse_args(sub, args);
    if (!vm) return kExitOk;
    host::ListFilter filter;
    if (vm->count("state")) {
        filter.state = host::job_state_from_string((*vm)["state"].as<std::string>());
        if (!filter.state) throw UsageError("unknown state '" + (*vm)["state"].as<std::string>() + "'");
    }
    if (vm->count("connector")) filter.connector = (*vm)["connector"].as<std::string>();
    filter.limit = (*vm)["limit"].as<int>();
    if (filter.limit < 1 || filter.limit > host::kMaxListLimit)
        throw UsageError("--limit must be 1 to " + std::to_string(host::kMaxListLimit));
    const auto page = open_store(*vm)->list(filter);
    std::cout << std::left << std::setw(8) << "ID" << std::setw(16) << "STATE" << std::setw(30) << "CONNECTOR.ACTION"
              << std::setw(10) << "ATTEMPTS" << "CREATED\n";
    for (const auto &j : page.jobs)
        std::cout << std::left << std::setw(8) << j.id << std::setw(16) << host::to_string(j.state) << std::setw(30)
                  << (j.connector + "." + j.action) << std::setw(10)
                  << (std::to_string(j.attempts) + "/" + std::to_string(j.max_attempts)) << iso(j.created_at) << "\n";
    if (page.jobs.empty()) std::cout << "(no jobs)\n";
    return kExitOk;
}

int one(const std::string &verb, const std::vector<std::string> &args) {
    Subcommand sub{"relais jobs " + verb + " ID [--data-dir DIR | --config FILE]"};
    add_location_options(sub);
    sub.options.add_options()("id", po::value<std::string>()->required(), "job id");
    sub.positional.add("id", 1);
    auto vm = parse_args(sub, args);
    if (!vm) return kExitOk;
    const auto id = parse_id((*vm)["id"].as<std::string>());
    auto store = open_store(*vm);
    if (!store->get(id)) {
        std::cerr << "relais jobs " << verb << ": no job " << id << "\n";
        return kExitFailure;
    }
    if (verb == "retry" && !store->retry(id, now_ms())) {
        std::cerr << "relais jobs retry: job " << id << " is neither dead nor cancelled\n";
        return kExitFailure;
    }
    if (verb == "cancel" && !store->cancel(id, now_ms())) {
        std::cerr << "relais jobs cancel: job " << id << " has already finished\n";
        return kExitFailure;
    }
    print_job(*store->get(id));
    return kExitOk;
}

}  // namespace

int jobs_command(const GlobalOptions &, const std::vector<std::string> &args) {
    if (args.empty() || args.front() == "--help" || args.front() == "-h") {
        std::cout << "usage: relais jobs list|show|retry|cancel ...  ('relais jobs list --help' for options)\n";
        return args.empty() ? kExitUsage : kExitOk;
    }
    const auto verb = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (verb == "list") return list(rest);
    if (verb == "show" || verb == "retry" || verb == "cancel") return one(verb, rest);
    throw UsageError("unknown subcommand '" + verb + "': expected list, show, retry or cancel");
}

}  // namespace relais::cli
