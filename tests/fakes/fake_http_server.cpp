#include "tests/fakes/fake_http_server.h"

#include <stdexcept>
#include <utility>

namespace auditrelay::fakes {

struct ResponseDelays::Timer {
  uv_timer_t handle{};
  ResponseDelays* owner = nullptr;
  http::Server::Respond respond;
  http::Response response;
};

void ResponseDelays::close(Timer* timer) {
  uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle),
           [](uv_handle_t* h) { delete static_cast<Timer*>(h->data); });
}

ResponseDelays::~ResponseDelays() {
  for (Timer* t : timers_)
    close(t);
}

http::Server::Handler ResponseDelays::wrap(FakeHandler handler) {
  return [this, handler = std::move(handler)](const http::Request& request,
                                              http::Server::Respond respond) {
    handler(request, [this, respond = std::move(respond)](FakeResponse answer) {
      if (answer.delay_ms == 0) {
        respond(std::move(answer));
      } else {
        later(answer.delay_ms, respond, std::move(answer));
      }
    });
  };
}

void ResponseDelays::later(uint64_t delay_ms, http::Server::Respond respond,
                           http::Response response) {
  auto* t =
      new Timer{.owner = this, .respond = std::move(respond), .response = std::move(response)};
  t->handle.data = t;
  uv_timer_init(loop_, &t->handle);
  timers_.insert(t);
  // libuv counts from the loop's cached clock in whole milliseconds, so a timer can fire up to
  // a millisecond early; refresh the clock and add one so a delay is never shorter than asked.
  uv_update_time(loop_);
  uv_timer_start(
      &t->handle,
      [](uv_timer_t* h) {
        auto* timer = static_cast<Timer*>(h->data);
        timer->owner->timers_.erase(timer);
        auto answer = std::move(timer->respond);
        auto delayed = std::move(timer->response);
        close(timer);
        answer(std::move(delayed));
      },
      delay_ms + 1, 0);
}

ThreadedHttpServer::ThreadedHttpServer(FakeHandler handler, const std::string& host,
                                       http::Server::Limits limits) {
  int rc = uv_loop_init(&loop_);
  if (rc != 0) throw std::runtime_error(std::string("uv_loop_init: ") + uv_strerror(rc));
  delays_ = std::make_unique<ResponseDelays>(&loop_);
  server_ = std::make_unique<http::Server>(&loop_, delays_->wrap(std::move(handler)), limits);
  try {
    port_ = server_->listen(host, 0);
  } catch (...) {
    server_.reset();
    delays_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    throw;
  }
  stop_ = new uv_async_t{};
  stop_->data = this;
  uv_async_init(&loop_, stop_, [](uv_async_t* async) {
    auto* self = static_cast<ThreadedHttpServer*>(async->data);
    self->server_.reset();  // closes the listener and every connection
    self->delays_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(async),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
  });
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

ThreadedHttpServer::~ThreadedHttpServer() {
  uv_async_send(stop_);
  thread_.join();
  // Every handle is closed once uv_run returned; a second run only finishes callbacks left.
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

uint64_t ThreadedHttpServer::connections_accepted() const {
  return server_->connections_accepted();
}

uint64_t ThreadedHttpServer::connections_refused() const {
  return server_->connections_refused();
}

}  // namespace auditrelay::fakes
