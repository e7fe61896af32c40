#include "mindee_jobs.hpp"

#include "mindee_json.hpp"

#include <Poco/String.h>

namespace relais::mindee {

JobState read_v1_job(const Json &body) {
    JobState s;
    const auto job = object_at(body, "job");
    s.id = text_at(job, "id").value_or("");
    if (object_at(body, "document")) {
        s.status = JobState::Status::processed;
        return s;
    }
    const auto status = Poco::toLower(text_at(job, "status").value_or(""));
    if (status == "failed") {
        s.status = JobState::Status::failed;
        const auto error = object_at(job, "error");
        s.reason = text_at(error, "code").value_or("failed");
        const auto message = text_at(error, "message");
        if (message) s.reason += ": " + *message;
        if (const auto details = text_at(error, "details"); details && details != message) s.reason += " (" + *details + ")";
    } else if (status == "completed") {
        s.status = JobState::Status::processed;  // without a document: the caller reads it
    }
    return s;
}

JobState read_v2_job(const Json &body) {
    JobState s;
    const auto job = object_at(body, "job");
    s.id = text_at(job, "id").value_or("");
    const auto status = text_at(job, "status").value_or("");
    if (status == "Processed") {
        s.status = JobState::Status::processed;
        s.result_url = text_at(job, "result_url").value_or("");
    } else if (status == "Failed") {
        s.status = JobState::Status::failed;
        const auto error = object_at(job, "error");
        const auto title = text_at(error, "title").value_or(""), detail = text_at(error, "detail").value_or("");
        s.reason = title.empty() ? detail : detail.empty() ? title : title + ": " + detail;
        for (const auto &e : objects_in(error, "errors")) {
            const auto pointer = text_at(e, "pointer").value_or(""), what = text_at(e, "detail").value_or("");
            s.reason += (s.reason.empty() ? "" : "; ") + (pointer.empty() ? what : pointer + ": " + what);
        }
        if (s.reason.empty()) s.reason = "the job failed";
    }
    return s;
}

}  // namespace relais::mindee
