// v1, the "products" API: the receipt v5 product, synchronous and asynchronous.
#include "mindee_emulator.hpp"

#include "mindee_job.hpp"
#include "mindee_wire.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <sstream>

namespace relais::mindee_emulator {

using emulator::HttpError;
using emulator::Request;
using emulator::Response;

namespace {

[[noreturn]] void bad_request(const std::string &url, const std::string &details, const std::string &message) {
    throw HttpError(v1_error(400, url, "BadRequest", details, message));
}

// The framework's refusal message ({"error","message"}), to say it in Mindee's envelope.
std::string framework_message(const HttpError &e) {
    try {
        const auto body = Poco::JSON::Parser().parse(e.response().body).extract<Poco::JSON::Object::Ptr>();
        return body->optValue<std::string>("message", e.what());
    } catch (const Poco::Exception &) {
        return e.what();
    }
}

bool looks_like_url(const std::string &s) {
    const auto lower = Poco::toLower(s.substr(0, 8));
    return lower.rfind("https://", 0) == 0 || lower.rfind("http://", 0) == 0;
}

// Only the receipt v5 product is emulated; others are unknown, as an endpoint of an API the
// account has no subscription to.
void require_receipt_product(const Request &r, const std::string &url) {
    if (r.param("account") == "mindee" && r.param("product") == "expense_receipts" && r.param("version") == "v5") return;
    throw HttpError(v1_error(404, url, "NotFound",
                             "No API " + r.param("account") + "/" + r.param("product") + " " + r.param("version") +
                                 " is available for this account",
                             "Not found"));
}

}  // namespace

// The document a predict call sends: a multipart part `document` (a file, or a URL as a plain
// field), or JSON {"document": base64 or URL}.
Document MindeeEmulator::v1_upload(const Request &r, bool async) const {
    const auto url = origin() + r.path;
    require_receipt_product(r, url);
    const auto type = Poco::toLower(r.header("Content-Type").value_or(""));
    std::string bytes, name;
    if (type.rfind("multipart/form-data", 0) == 0) {
        emulator::MultipartForm form;
        try {
            form = r.multipart(kUploadPartLimits);
        } catch (const HttpError &e) {
            bad_request(url, framework_message(e), "Invalid multipart body");
        }
        const auto *part = form.find("document");
        if (!part) bad_request(url, "Missing input file: no 'document' part", "No file was sent");
        if (!part->filename) {
            if (looks_like_url(part->content))
                bad_request(url, "URL inputs are not fetched by this emulator: upload the file", "Invalid input");
            bad_request(url, "The 'document' part must be a file (a filename in its Content-Disposition)",
                        "No file was sent");
        }
        bytes = part->content;
        name = *part->filename;
    } else if (type.rfind("application/json", 0) == 0) {
        const auto body = r.json();
        if (!body->has("document") || body->isNull("document"))
            bad_request(url, "Missing input file: no 'document' key", "No file was sent");
        const auto document = body->get("document").convert<std::string>();
        if (looks_like_url(document))
            bad_request(url, "URL inputs are not fetched by this emulator: send the file", "Invalid input");
        const auto decoded = decode_base64_strict(document);
        if (!decoded) bad_request(url, "The document is not valid base64", "Invalid input");
        bytes = *decoded;
        // Not recorded: the name a base64 upload gets. An optional "filename" key is honoured.
        name = body->optValue<std::string>("filename", "");
    } else {
        bad_request(url, "Missing input file: send multipart/form-data or application/json", "No file was sent");
    }
    try {
        auto document = read_document(bytes, name, async ? kV1AsyncLimits : kV1SyncLimits);
        if (document.name.empty()) document.name = std::string("document.") + file_extension(document.type);
        return document;
    } catch (const DocumentRefused &e) {
        bad_request(url, e.what(), "Invalid input document");
    }
}

Response MindeeEmulator::v1_predict(const Request &r) {
    const auto url = origin() + r.path;
    const auto document = v1_upload(r, false);
    if (document.receipt.asks_to_fail())
        return v1_error(500, url, "failure", "Can not run prediction: ", "Inference failed");
    const auto finished = clock().now();
    const auto started = finished - std::chrono::milliseconds(1496);
    bill(document);
    Json body = object();
    body->set("api_request", v1_api_request(201, url, {"document"}));
    body->set("document", v1_document_json(document, new_uuid(), started, finished));
    return Response::json(201, body);
}

Response MindeeEmulator::v1_predict_async(const Request &r) {
    const auto url = origin() + r.path;
    auto job = std::make_shared<Job>();
    job->version = Version::v1;
    job->id = new_uuid();
    job->document_id = new_uuid();
    job->document = v1_upload(r, true);
    job->created = clock().now();
    job->due = job->created + options_.processing_time;
    add_job(job);
    // 200 in the recorded answer; the documentation's clients accept any 2xx, and 202 is what
    // an enqueue usually answers: which one is configurable.
    const int status = options_.v1_async_enqueue_status;
    Json body = object();
    body->set("api_request", v1_api_request(status, url, {"job"}));
    body->set("job", v1_job(job->id, "waiting", job->created, std::nullopt));
    return Response::json(status, body);
}

Response MindeeEmulator::v1_queue(const Request &r) {
    const auto url = origin() + r.path;
    require_receipt_product(r, url);
    const auto found = find_job(r.param("job_id"));
    if (!found || found->version != Version::v1)
        return v1_error(404, url, "NotFound", "No job " + r.param("job_id"), "Job not found");
    finish_if_due(found);
    const auto job = snapshot(found);
    Json body = object();
    body->set("api_request", v1_api_request(job.state == Job::State::processed ? 302 : 200, url, {"job"}));
    switch (job.state) {
    case Job::State::processing:
        body->set("job", v1_job(job.id, "processing", job.created, std::nullopt));
        return Response::json(200, body);
    case Job::State::failed: {
        Json error = object();
        error->set("code", "ServerError");
        error->set("details", "Can not run prediction: the document could not be read.");
        error->set("message", "An error occurred");
        body->set("job", v1_job(job.id, "failed", job.created, job.completed, error));
        return Response::json(200, body);
    }
    case Job::State::processed: break;
    }
    body->set("job", v1_job(job.id, "completed", job.created, job.completed));
    auto redirect = Response::json(302, body);
    redirect.header("Location", origin() + kV1ReceiptPath + "/documents/" + job.document_id);
    return redirect;
}

Response MindeeEmulator::v1_document(const Request &r) {
    const auto url = origin() + r.path;
    require_receipt_product(r, url);
    const auto found = find_v1_document(r.param("document_id"));
    const auto job = found ? snapshot(found) : Job{};
    if (!found || job.state != Job::State::processed)
        return v1_error(404, url, "NotFound", "No document " + r.param("document_id"), "Document not found");
    Json body = object();
    body->set("api_request", v1_api_request(200, url, {"document", "job"}));
    body->set("document", v1_document_json(job.document, job.document_id, job.created, *job.completed));
    body->set("job", v1_job(job.id, "completed", job.created, job.completed));
    return Response::json(200, body);
}

}  // namespace relais::mindee_emulator
