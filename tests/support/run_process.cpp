#include "run_process.hpp"

#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <thread>

namespace relais::test {

ProcessResult run_process(const std::string &program, const std::vector<std::string> &args) {
    Poco::Pipe out_pipe, err_pipe;
    Poco::Process::Args pargs(args.begin(), args.end());
    auto handle = Poco::Process::launch(program, pargs, nullptr, &out_pipe, &err_pipe);
    ProcessResult result;
    // Drain both pipes at once so a chatty child never blocks on a full pipe.
    std::thread err_reader([&] {
        Poco::PipeInputStream err(err_pipe);
        Poco::StreamCopier::copyToString(err, result.err);
    });
    Poco::PipeInputStream out(out_pipe);
    Poco::StreamCopier::copyToString(out, result.out);
    err_reader.join();
    result.exit_code = handle.wait();
    return result;
}

}  // namespace relais::test
