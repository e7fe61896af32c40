// v2, the platform API: enqueue an extraction, poll its job, fetch its result, search models.
#include "mindee_emulator.hpp"

#include "mindee_job.hpp"
#include "mindee_wire.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <regex>

namespace relais::mindee_emulator {

using emulator::HttpError;
using emulator::Request;
using emulator::Response;
using Var = Poco::Dynamic::Var;

namespace {

bool is_uuid(const std::string &s) {
    static const std::regex uuid("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    return std::regex_match(s, uuid);
}

Response invalid_form(const std::vector<ProblemItem> &errors) {
    return v2_problem(422, "Invalid fields in form", "One or more fields failed validation.", "422-001", errors);
}

// A boolean form field: absent is false, "true"/"false" otherwise, anything else an error.
bool flag(const emulator::MultipartForm &form, const std::string &name, std::vector<ProblemItem> &errors) {
    const auto value = form.field(name);
    if (!value) return false;
    const auto v = Poco::toLower(Poco::trim(*value));
    if (v == "true") return true;
    if (v != "false") errors.push_back({"#/" + name, name + " must be true or false"});
    return false;
}

std::string framework_message(const HttpError &e) {
    try {
        const auto body = Poco::JSON::Parser().parse(e.response().body).extract<Poco::JSON::Object::Ptr>();
        return body->optValue<std::string>("message", e.what());
    } catch (const Poco::Exception &) {
        return e.what();
    }
}

Response not_found(const std::string &title, const std::string &detail, const std::string &code) {
    return v2_problem(404, title, detail, code);
}

}  // namespace

const Model *MindeeEmulator::find_model(const std::string &id) const {
    for (const auto &m : models_)
        if (Poco::icompare(m.id, id) == 0) return &m;
    return nullptr;
}

Response MindeeEmulator::v2_enqueue(const Request &r) {
    emulator::MultipartForm form;
    try {
        form = r.multipart(kUploadPartLimits);
    } catch (const HttpError &e) {
        return v2_problem(400, "Bad request", "The body must be multipart/form-data: " + framework_message(e), "400-001");
    }

    std::vector<ProblemItem> errors;
    const auto model_id = form.field("model_id");
    if (!model_id)
        errors.push_back({"#/model_id", "model_id is required"});
    else if (!is_uuid(Poco::trim(*model_id)))
        errors.push_back({"#/model_id", "model_id must be a valid UUID format"});
    const auto *file = form.find("file");
    const auto url = form.field("url");
    const auto base64 = form.field("file_base64");
    const int sources = (file ? 1 : 0) + (url ? 1 : 0) + (base64 ? 1 : 0);
    if (sources == 0) errors.push_back({"#/file", "one of file, url or file_base64 is required"});
    if (sources > 1) errors.push_back({"#/file", "only one of file, url or file_base64 may be given"});
    if (file && !file->filename) errors.push_back({"#/file", "file must be a file upload, with a filename"});
    if (url && Poco::toLower(url->substr(0, 8)) != "https://") errors.push_back({"#/url", "url must be an HTTPS URL"});
    V2Options options;
    options.rag = flag(form, "rag", errors);
    options.raw_text = flag(form, "raw_text", errors);
    options.polygon = flag(form, "polygon", errors);
    options.confidence = flag(form, "confidence", errors);
    options.text_context = flag(form, "text_context", errors);
    if (const auto schema = form.field("data_schema")) {
        try {
            Poco::JSON::Parser().parse(*schema);
        } catch (const Poco::Exception &) {
            errors.push_back({"#/data_schema", "data_schema must be a JSON string"});
        }
    }
    if (!errors.empty()) return invalid_form(errors);

    const auto *model = find_model(Poco::trim(*model_id));
    if (!model) return not_found("Model not found", "No model " + Poco::trim(*model_id) + " in this organization.", "404-002");
    if (model->model_type != "extraction")
        return invalid_form({{"#/model_id", "model " + model->id + " is a " + model->model_type + " model, not an extraction model"}});
    std::vector<std::string> webhook_ids;
    for (const auto &part : form.parts) {
        if (part.name != "webhook_ids") continue;
        const auto id = Poco::trim(part.content);
        bool known = false;
        for (const auto &[hook, name] : model->webhooks) known = known || Poco::icompare(hook, id) == 0;
        if (!known) errors.push_back({"#/webhook_ids", "webhook " + id + " is not one of the model's webhooks"});
        webhook_ids.push_back(id);
    }
    if (!errors.empty()) return invalid_form(errors);
    // The emulator has no network beyond loopback, and would have nothing to read there.
    if (url) return invalid_form({{"#/url", "URL inputs are not fetched by this emulator: send the file"}});

    std::string bytes, name;
    if (file) {
        bytes = file->content;
        name = *file->filename;
    } else {
        const auto decoded = decode_base64_strict(*base64);
        if (!decoded) return invalid_form({{"#/file_base64", "file_base64 is not valid base64"}});
        bytes = *decoded;
    }
    auto job = std::make_shared<Job>();
    try {
        job->document = read_document(bytes, name, kV2Limits);
    } catch (const DocumentRefused &e) {
        return v2_problem(422, "Invalid file", e.what(), "422-004", {{"#/file", e.what()}});
    }
    const auto alias = form.field("alias");
    // Not recorded: the name a base64 upload gets. Its alias, else a name by its type.
    if (job->document.name.empty())
        job->document.name = alias && !alias->empty() ? *alias : std::string("document.") + file_extension(job->document.type);
    job->version = Version::v2;
    job->id = new_uuid();
    job->model_id = model->id;
    if (alias && !alias->empty()) job->alias = *alias;
    job->options = options;
    job->webhook_ids = webhook_ids;
    const bool products_route = emulator::path_under(r.path, "/v2/products");
    job->result_path = (products_route ? "/v2/products/extraction/results/" : "/v2/inferences/") + job->id;
    job->created = clock().now();
    job->due = job->created + options_.processing_time;
    add_job(job);
    return Response::json(202, v2_job_body(snapshot(job)));
}

Poco::JSON::Object::Ptr MindeeEmulator::v2_job_body(const Job &job) const {
    const bool processed = job.state == Job::State::processed;
    Json j = object();
    j->set("id", job.id);
    j->set("model_id", job.model_id);
    j->set("filename", job.document.name);
    j->set("alias", job.alias ? Var(*job.alias) : Var());
    j->set("created_at", iso_time(job.created));
    j->set("completed_at", job.completed ? Var(iso_time(*job.completed)) : Var());
    j->set("status", processed ? "Processed" : job.state == Job::State::failed ? "Failed" : "Processing");
    j->set("polling_url", origin() + "/v2/jobs/" + job.id);
    j->set("result_url", processed ? Var(origin() + job.result_path) : Var());
    Poco::JSON::Array::Ptr hooks = new Poco::JSON::Array;
    for (const auto &d : job.deliveries) {
        Json h = object();
        h->set("id", d.id);
        h->set("created_at", iso_time(d.at));
        h->set("status", d.ok ? "Processed" : "Failed");
        h->set("error", d.ok ? Var() : Var(v2_problem_body(502, "Webhook delivery failed", d.error, "502-001")));
        hooks->add(h);
    }
    j->set("webhooks", hooks);
    j->set("error", job.state == Job::State::failed
                        ? Var(v2_problem_body(500, "Inference failed", "The document could not be processed.", "500-001"))
                        : Var());
    Json body = object();
    body->set("job", j);
    return body;
}

Poco::JSON::Object::Ptr MindeeEmulator::v2_result_body(const Job &job) const {
    return v2_inference(job.document, job.id, job.id, job.model_id, job.alias, job.options,
                        options_.v2_registrations_plural);
}

Response MindeeEmulator::v2_job(const Request &r) {
    const auto found = find_job(r.param("job_id"));
    if (!found || found->version != Version::v2)
        return not_found("Job not found", "No job " + r.param("job_id") + " in this organization.", "404-001");
    finish_if_due(found);
    const auto job = snapshot(found);
    auto response = Response::json(200, v2_job_body(job));
    const auto redirect = r.query_param("redirect");
    if (job.state == Job::State::processed && !(redirect && Poco::toLower(*redirect) == "false")) {
        response.status = 302;
        response.header("Location", origin() + job.result_path);
    }
    return response;
}

Response MindeeEmulator::v2_result(const Request &r) {
    const auto found = find_job(r.param("inference_id"));
    if (!found || found->version != Version::v2)
        return not_found("Inference not found", "No inference " + r.param("inference_id") + " in this organization.",
                         "404-003");
    finish_if_due(found);
    const auto job = snapshot(found);
    if (job.state == Job::State::processing)
        return not_found("Inference not ready", "The inference is still being processed: poll its job.", "404-004");
    if (job.state == Job::State::failed)
        return not_found("Inference failed", "The job failed: it has no result.", "404-005");
    return Response::json(200, v2_result_body(job));
}

Response MindeeEmulator::v2_search_models(const Request &r) {
    const auto name = Poco::toLower(r.query_param("name").value_or(""));
    const auto type = r.query_param("model_type").value_or("");
    int page = 1, per_page = 50;
    const auto number = [&](const char *key, int &out) {
        if (const auto v = r.query_param(key)) {
            int n = 0;
            if (!Poco::NumberParser::tryParse(*v, n) || n < 1)
                throw HttpError(invalid_form({{std::string("#/") + key, std::string(key) + " must be a positive integer"}}));
            out = n;
        }
    };
    number("page", page);
    number("per_page", per_page);
    std::vector<const Model *> matching;
    for (const auto &m : models_)
        if ((name.empty() || Poco::toLower(m.name).find(name) != std::string::npos) && (type.empty() || m.model_type == type))
            matching.push_back(&m);
    Poco::JSON::Array::Ptr models = new Poco::JSON::Array;
    const auto first = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(per_page);
    for (std::size_t i = first; i < matching.size() && i < first + static_cast<std::size_t>(per_page); ++i) {
        const auto &m = *matching[i];
        Json o = object();
        o->set("id", m.id);
        o->set("name", m.name);
        o->set("model_type", m.model_type);
        Poco::JSON::Array::Ptr hooks = new Poco::JSON::Array;
        for (const auto &[id, hook_name] : m.webhooks) {
            Json h = object();
            h->set("id", id);
            h->set("name", hook_name);
            const auto target = webhook_url(id);
            h->set("url", target ? Var(*target) : Var());
            hooks->add(h);
        }
        o->set("webhooks", hooks);
        models->add(o);
    }
    Json pagination = object();
    pagination->set("per_page", per_page);
    pagination->set("page", page);
    pagination->set("total_items", static_cast<int>(matching.size()));
    pagination->set("total_pages", std::max(1, static_cast<int>((matching.size() + per_page - 1) / per_page)));
    pagination->set("total_items_unfiltered", Var());
    Json body = object();
    body->set("models", models);
    body->set("pagination", pagination);
    return Response::json(200, body);
}

}  // namespace relais::mindee_emulator
