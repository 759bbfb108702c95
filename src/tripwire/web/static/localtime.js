// Shows every <time class="local" datetime="..."> in the viewer's time zone. Without
// JavaScript the server's text stays: the same instant, readable, in UTC.
(function () {
  var options = { year: "numeric", month: "short", day: "numeric", hour: "2-digit",
                  minute: "2-digit", timeZoneName: "short" };
  var nodes = document.querySelectorAll("time.local[datetime]");
  for (var i = 0; i < nodes.length; i++) {
    var when = new Date(nodes[i].getAttribute("datetime"));
    if (isNaN(when.getTime())) continue;
    nodes[i].title = nodes[i].textContent;
    nodes[i].textContent = when.toLocaleString(undefined, options);
  }
})();
