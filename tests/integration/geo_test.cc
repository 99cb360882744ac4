// Geo commands (GEOADD ... GEOSEARCHSTORE) with Redis 7's replies, error texts and orders: the
// positions, hashes and distances of Redis's documented examples, searches by radius and by box
// (sorted, unsorted in Redis's cell order, COUNT, ANY), the STORE forms, WRONGTYPE, RESP3 and
// restart.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class GeoTest : public ServerFixture {
 protected:
  void AddSicily() {
    ASSERT_EQ(Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269",
                   "37.502669", "Catania"}),
              ":2");
  }
  void AddNyc() {
    ASSERT_EQ(Run({"GEOADD",      "nyc",         "-73.9454966",  "40.747533",
                   "lic market",  "-73.9733487", "40.7648057",   "central park n/q/r",
                   "-73.9903085", "40.7362513",  "union square", "-74.0131604",
                   "40.7126674",  "wtc one",     "-73.7858139",  "40.6428986",
                   "jfk",         "-73.9375699", "40.7498929",   "q4",
                   "-73.9564142", "40.7480973",  "4545"}),
              ":7");
  }
};

constexpr const char* kSyntax = "-ERR syntax error";

TEST_F(GeoTest, AddPositionsHashesDistances) {
  AddSicily();
  EXPECT_EQ(Run({"ZRANGE", "Sicily", "0", "-1", "WITHSCORES"}),
            "[\"Palermo\", \"3479099956230698\", \"Catania\", \"3479447370796909\"]");
  EXPECT_EQ(Run({"GEOPOS", "Sicily", "Palermo", "nope"}),
            "[[\"13.36138933897018433\", \"38.11555639549629859\"], (nil)]");
  EXPECT_EQ(Run({"GEOPOS", "Sicily"}), "[]");
  EXPECT_EQ(Run({"GEOPOS", "missing", "a"}), "[(nil)]");
  EXPECT_EQ(Run({"GEOHASH", "Sicily", "Palermo", "Catania", "nope"}),
            "[\"sqc8b49rny0\", \"sqdtr74hyu0\", (nil)]");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Catania"}), "\"166274.1516\"");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}), "\"166.2742\"");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Catania", "MI"}), "\"103.3182\"");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Palermo"}), "\"0.0000\"");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Agrigento"}), "(nil)");
  EXPECT_EQ(Run({"GEODIST", "missing", "Palermo", "Catania"}), "(nil)");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Catania", "yd"}),
            "-ERR unsupported unit provided. please use M, KM, FT, MI");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "Palermo", "Catania", "km", "x"}), kSyntax);
  // The options: NX, XX and CH as in ZADD.
  EXPECT_EQ(Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"}), ":0");
  EXPECT_EQ(Run({"GEOADD", "Sicily", "CH", "13.5", "38.1", "Palermo"}), ":1");
  EXPECT_EQ(Run({"GEOADD", "Sicily", "NX", "13.361389", "38.115556", "Palermo"}), ":0");
  EXPECT_EQ(
      Run({"GEOADD", "Sicily", "CH", "XX", "13.361389", "38.115556", "Palermo", "1", "1", "new"}),
      ":1");
  EXPECT_EQ(Run({"GEOHASH", "Sicily", "Palermo", "new"}), "[\"sqc8b49rny0\", (nil)]");
  // Errors, as Redis words them; a failed GEOADD writes nothing.
  EXPECT_EQ(Run({"GEOADD", "Sicily", "XX", "NX", "1", "2", "a"}), kSyntax);
  EXPECT_EQ(Run({"GEOADD", "Sicily", "CH", "XX", "foo", "1", "2", "a"}), kSyntax);
  EXPECT_EQ(Run({"GEOADD", "Sicily", "1", "2", "a", "3"}), kSyntax);
  EXPECT_EQ(Run({"GEOADD", "Sicily", "1", "2", "a", "foo", "bar", "b"}),
            "-ERR value is not a valid float");
  EXPECT_EQ(Run({"GEOADD", "Sicily", "1", "2", "a", "181", "0", "b"}),
            "-ERR invalid longitude,latitude pair 181.000000,0.000000");
  EXPECT_EQ(Run({"GEOADD", "Sicily", "0", "85.1", "b"}),
            "-ERR invalid longitude,latitude pair 0.000000,85.100000");
  EXPECT_EQ(Run({"ZCARD", "Sicily"}), ":2");
  EXPECT_EQ(Run({"GEOADD", "Sicily", "1"}), "-ERR wrong number of arguments for 'geoadd' command");
  // The edges of the valid range: the cell past the last decodes to the edge itself, the first
  // cell to its centre.
  EXPECT_EQ(Run({"GEOADD", "edge", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw"}),
            ":2");
  EXPECT_EQ(Run({"GEOPOS", "edge", "ne", "sw"}),
            "[[\"180\", \"85.0511287799999991\"], [\"-179.99999731779098511\", "
            "\"-85.05112751263942528\"]]");
  EXPECT_EQ(Run({"GEOSEARCH", "edge", "FROMLONLAT", "179.9", "85", "BYRADIUS", "50", "km"}),
            "[\"ne\"]");
  // A member ZADD gave a score no position has: absent for the geo commands.
  EXPECT_EQ(Run({"ZADD", "Sicily", "-1", "neg"}), ":1");
  EXPECT_EQ(Run({"GEOPOS", "Sicily", "neg"}), "[(nil)]");
  EXPECT_EQ(Run({"GEODIST", "Sicily", "neg", "Palermo"}), "(nil)");
}

TEST_F(GeoTest, SearchesInRedisOrder) {
  AddNyc();
  EXPECT_EQ(Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "3", "km", "ASC"}),
            "[\"central park n/q/r\", \"4545\", \"union square\"]");
  EXPECT_EQ(Run({"GEOSEARCH", "nyc", "FROMLONLAT", "-73.9798091", "40.7598464", "BYBOX", "6", "6",
                 "km", "ASC", "WITHDIST"}),
            "[[\"central park n/q/r\", \"0.7750\"], [\"4545\", \"2.3651\"], [\"union square\", "
            "\"2.7697\"], [\"lic market\", \"3.1991\"]]");
  // COUNT without an order gives the nearest; ANY the first found, in Redis's cell order.
  EXPECT_EQ(Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "3"}),
            "[\"central park n/q/r\", \"4545\", \"union square\"]");
  EXPECT_EQ(Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "3", "ANY"}),
            "[\"wtc one\", \"union square\", \"central park n/q/r\"]");
  EXPECT_EQ(
      Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "2", "DESC"}),
      "[\"wtc one\", \"q4\"]");
  // Unsorted: cell by cell, each in score order (what Redis replies).
  EXPECT_EQ(Run({"GEORADIUSBYMEMBER", "nyc", "wtc one", "7", "km", "WITHDIST"}),
            "[[\"wtc one\", \"0.0000\"], [\"union square\", \"3.2544\"], [\"central park n/q/r\", "
            "\"6.7000\"], [\"4545\", \"6.1975\"], [\"lic market\", \"6.8969\"]]");
  EXPECT_EQ(Run({"GEOSEARCH", "nyc", "FROMMEMBER", "wtc one", "BYBOX", "14", "14", "km"}),
            "[\"wtc one\", \"union square\", \"central park n/q/r\", \"4545\", \"lic market\", "
            "\"q4\"]");
  EXPECT_EQ(
      Run({"GEORADIUS_RO", "nyc", "-73.9798091", "40.7598464", "1", "km", "WITHCOORD", "WITHHASH"}),
      "[[\"central park n/q/r\", :1791875761332224, [\"-73.97334784269332886\", "
      "\"40.76480639569881959\"]]]");
  EXPECT_EQ(Run({"GEORADIUSBYMEMBER_RO", "nyc", "jfk", "1", "km"}), "[\"jfk\"]");
  // A box is a box: narrow and long finds only what is inside it; across the antimeridian too.
  EXPECT_EQ(Run({"GEOADD", "box", "12.75", "36.995", "test1", "12.75", "36.50", "test2", "-1", "37",
                 "test3", "179.5", "36", "east", "-179.5", "36", "west"}),
            ":5");
  EXPECT_EQ(Run({"GEOSEARCH", "box", "FROMLONLAT", "15", "37", "BYBOX", "3000", "2", "km", "ASC"}),
            "[\"test1\", \"test3\"]");
  EXPECT_EQ(
      Run({"GEOSEARCH", "box", "FROMLONLAT", "-179", "37", "BYBOX", "400", "400", "km", "ASC"}),
      "[\"west\", \"east\"]");
  // A huge radius covers the earth, each member once.
  EXPECT_EQ(Run({"GEORADIUS", "box", "0", "0", "50000", "km", "COUNT", "10", "ASC"}),
            "[\"test3\", \"test2\", \"test1\", \"west\", \"east\"]");
  EXPECT_EQ(Run({"GEOSEARCH", "box", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"}), "[]");
}

TEST_F(GeoTest, SearchErrors) {
  AddNyc();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"GEOSEARCH", "nyc", "FROMLONLAT", "1", "2", "FROMMEMBER", "x", "BYBOX", "6", "6", "km"},
       kSyntax},
      {{"GEOSEARCH", "nyc", "BYBOX", "3", "3", "km", "ASC", "DESC", "WITHHASH"},
       "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"},
      {{"GEOSEARCH", "nyc", "FROMLONLAT", "1", "2", "BYRADIUS", "3", "km", "BYBOX", "3", "3", "km"},
       kSyntax},
      {{"GEOSEARCH", "nyc", "FROMLONLAT", "1", "2", "ASC", "DESC", "WITHHASH"},
       "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"},
      {{"GEOSEARCH", "nyc", "FROMLONLAT", "1", "2", "BYBOX", "6", "6", "km", "STOREDIST"}, kSyntax},
      {{"GEOSEARCHSTORE", "d", "nyc", "FROMLONLAT", "1", "2", "BYRADIUS", "50", "km", "STORE", "d"},
       kSyntax},
      {{"GEOSEARCHSTORE", "d", "nyc", "FROMLONLAT", "1", "2", "BYRADIUS", "50", "km", "WITHDIST"},
       "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"},
      {{"GEORADIUS", "nyc", "1", "2", "50", "km", "STORE", "d", "WITHHASH"},
       "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
       "options"},
      {{"GEORADIUS", "nyc", "1", "2", "50", "km", "STORE"}, kSyntax},
      {{"GEORADIUS_RO", "nyc", "1", "2", "50", "km", "STORE", "d"}, kSyntax},
      {{"GEORADIUS", "nyc", "1", "2", "10", "km", "ANY", "ASC"},
       "-ERR the ANY argument requires COUNT argument"},
      {{"GEORADIUS", "nyc", "1", "2", "10", "km", "COUNT"}, kSyntax},
      {{"GEORADIUS", "nyc", "1", "2", "10", "km", "COUNT", "0"}, "-ERR COUNT must be > 0"},
      {{"GEORADIUS", "nyc", "1", "2", "10", "km", "COUNT", "x"},
       "-ERR value is not an integer or out of range"},
      {{"GEORADIUS", "nyc", "1", "2", "x", "km"}, "-ERR need numeric radius"},
      {{"GEORADIUS", "nyc", "1", "2", "-1", "km"}, "-ERR radius cannot be negative"},
      {{"GEORADIUS", "nyc", "1", "2", "1", "yd"},
       "-ERR unsupported unit provided. please use M, KM, FT, MI"},
      {{"GEORADIUS", "nyc", "1", "91", "1", "km"},
       "-ERR invalid longitude,latitude pair 1.000000,91.000000"},
      {{"GEOSEARCH", "nyc", "FROMLONLAT", "1", "2", "BYBOX", "x", "1", "km"},
       "-ERR need numeric width"},
      {{"GEOSEARCH", "nyc", "FROMLONLAT", "1", "2", "BYBOX", "1", "x", "km"},
       "-ERR need numeric height"},
      {{"GEOSEARCH", "nyc", "FROMLONLAT", "1", "2", "BYBOX", "1", "-1", "km"},
       "-ERR height or width cannot be negative"},
      {{"GEOSEARCH", "nyc", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"},
       "-ERR could not decode requested zset member"},
      {{"GEORADIUSBYMEMBER", "nyc", "nope", "1", "km"},
       "-ERR could not decode requested zset member"},
  };
  for (const auto& [args, reply] : cases) {
    EXPECT_EQ(Run(args), reply) << args[0] << " " << args.back();
  }
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0");
}

TEST_F(GeoTest, StoreForms) {
  AddSicily();
  EXPECT_EQ(Run({"GEORADIUS", "Sicily", "13.361389", "38.115556", "500", "km", "STORE", "all"}),
            ":2");
  EXPECT_EQ(Run({"ZRANGE", "all", "0", "-1", "WITHSCORES"}),
            Run({"ZRANGE", "Sicily", "0", "-1", "WITHSCORES"}));
  EXPECT_EQ(Run({"GEORADIUSBYMEMBER", "Sicily", "Catania", "500", "km", "STOREDIST", "d"}), ":2");
  EXPECT_EQ(Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}),
            "[\"Catania\", \"0\", \"Palermo\", \"166.27415156960032\"]");
  EXPECT_EQ(Run({"GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "13.361389", "38.115556",
                 "BYRADIUS", "500", "km", "STOREDIST", "DESC", "COUNT", "1"}),
            ":1");
  EXPECT_EQ(Run({"ZRANGE", "d", "0", "-1"}), "[\"Catania\"]");
  // Nothing found: the destination is deleted.
  EXPECT_EQ(Run({"GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"}),
            ":0");
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0");
  // A missing source: 0 and the destination deleted, an empty array without STORE; the radius
  // of GEORADIUSBYMEMBER is not even parsed then, as in Redis.
  EXPECT_EQ(Run({"SET", "d", "x"}), "+OK");
  EXPECT_EQ(Run({"GEORADIUS", "missing", "1", "1", "1", "km", "STORE", "d"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0");
  EXPECT_EQ(Run({"GEORADIUSBYMEMBER", "missing", "m", "x", "y"}), "[]");
  EXPECT_EQ(Run({"GEOSEARCH", "missing", "FROMMEMBER", "m", "BYBOX", "1", "1", "km"}), "[]");
  EXPECT_EQ(
      Run({"COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "1", "1", "km", "STOREDIST", "dst"}),
      "[\"src\", \"dst\"]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m",
                 "BYRADIUS", "1", "km"}),
            "[\"dst\", \"src\"]");
  // Wrong types, before any argument is parsed.
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  const char* kWrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value";
  EXPECT_EQ(Run({"GEOADD", "s", "1", "1", "m"}), kWrongType);
  EXPECT_EQ(Run({"GEOPOS", "s", "m"}), kWrongType);
  EXPECT_EQ(Run({"GEODIST", "s", "a", "b"}), kWrongType);
  EXPECT_EQ(Run({"GEOHASH", "s", "m"}), kWrongType);
  EXPECT_EQ(Run({"GEORADIUS", "s", "1", "1", "1", "km"}), kWrongType);
  EXPECT_EQ(Run({"GEORADIUSBYMEMBER", "s", "m", "1", "km", "STORE", "d"}), kWrongType);
  EXPECT_EQ(Run({"GEOSEARCHSTORE", "d", "s", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"}),
            kWrongType);
}

TEST_F(GeoTest, Resp3AndRestart) {
  AddSicily();
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  RespValue hello;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  const std::string commands[][2] = {
      {"GEOPOS Sicily Palermo nope",
       "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n"},
      {"GEODIST Sicily Palermo Catania km", "$8\r\n166.2742\r\n"},
      {"GEORADIUS Sicily 15 37 100 km WITHDIST WITHCOORD",
       "*1\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n,15.08726745843887329\r\n"
       ",37.50266842333162032\r\n"},
  };
  for (const auto& [command, reply] : commands) {
    ASSERT_TRUE(raw->Send(command + "\r\n"));
    EXPECT_EQ(raw->Read(reply.size()), reply) << command;
  }
  raw.reset();
  client_->Command({"SHUTDOWN"});  // answers nothing: the connection closes
  ASSERT_TRUE(server_.WaitForExit(std::chrono::seconds(30)));
  ASSERT_NO_FATAL_FAILURE(RestartAndReconnect());
  EXPECT_EQ(Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"}),
            "[[\"Catania\", \"56.4413\"], [\"Palermo\", \"190.4424\"]]");
}

}  // namespace
}  // namespace shale::integration
