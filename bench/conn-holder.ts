/**
 * Opens `count` keep-alive connections to `host:port`, each sending one `GET /healthz` and then
 * staying open and idle, spread over loopback source addresses (127.0.0.2, .3, …) so the ephemeral
 * port range of one address is no limit. Prints `HELD <n>` once all answered, then `CLOSED <n>` on
 * SIGUSR2 (how many the server closed meanwhile), and exits on SIGTERM.
 *   node --import tsx bench/conn-holder.ts <port> <count> <first-source-octet>
 */
import net from "node:net";

const [port = 0, count = 0, firstOctet = 0] = process.argv.slice(2).map(Number);
if (!port || !count || !firstOctet) {
  console.error("usage: conn-holder.ts <port> <count> <first-source-octet>");
  process.exit(2);
}
const PER_ADDRESS = 20_000;
const sockets: net.Socket[] = [];
let closed = 0;

function open(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress: `127.0.0.${firstOctet + Math.floor(i / PER_ADDRESS)}` });
    let answered = false;
    s.setNoDelay(true);
    s.once("connect", () => s.write("GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"));
    s.on("data", () => {
      if (!answered) {
        answered = true;
        resolve();
      }
    });
    s.once("error", (err) => (answered ? undefined : reject(err)));
    s.once("close", () => {
      if (answered) closed++;
    });
    sockets.push(s);
  });
}

// 500 handshakes at a time: a SYN flood on loopback would only measure the kernel's backlog.
for (let i = 0; i < count; i += 500) await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => open(i + j)));
console.log(`HELD ${sockets.length}`);
process.on("SIGUSR2", () => console.log(`CLOSED ${closed}`));
process.on("SIGTERM", () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
