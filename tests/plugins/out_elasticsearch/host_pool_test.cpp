#include "plugins/out_elasticsearch/host_pool.h"

#include <doctest/doctest.h>

using auditrelay::elasticsearch::HostPool;
using std::chrono::seconds;

TEST_CASE("hosts are used in turn; a failing one is set aside, then probed again") {
  HostPool pool({"http://a:9200/", "http://b:9200", "http://c:9200"});
  HostPool::Clock::time_point t0{};
  t0 += seconds(1000);
  CHECK(pool.url(0) == "http://a:9200");  // trailing slash dropped
  CHECK(pool.pick(t0) == 0);
  CHECK(pool.pick(t0) == 1);
  CHECK(pool.pick(t0) == 2);
  pool.failed(1, t0);
  CHECK(pool.pick(t0) == 0);
  CHECK(pool.pick(t0) == 2);
  CHECK(pool.pick(t0) == 0);
  // One second later b is due for a probe; failing again doubles its time aside.
  CHECK(pool.pick(t0 + seconds(1)) == 1);
  pool.failed(1, t0 + seconds(1));
  CHECK(pool.set_aside(1, t0 + seconds(1)));
  CHECK(pool.set_aside(1, t0 + seconds(2)));
  CHECK_FALSE(pool.set_aside(1, t0 + seconds(3)));
  pool.succeeded(1);
  CHECK_FALSE(pool.set_aside(1, t0));
}

TEST_CASE("when every host is set aside, the one due soonest is tried") {
  HostPool pool({"http://a:9200", "http://b:9200"});
  HostPool::Clock::time_point t0{};
  t0 += seconds(1000);
  pool.failed(0, t0);
  pool.failed(0, t0);  // 2 s aside
  pool.failed(1, t0);  // 1 s aside
  CHECK(pool.pick(t0) == 1);
}
