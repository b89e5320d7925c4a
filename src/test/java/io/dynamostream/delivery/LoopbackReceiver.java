package io.dynamostream.delivery;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny HTTP/1.1 server on 127.0.0.1 whose behaviour depends on the request path, so that hanging and healthy
 * receivers share one host:port (and therefore one connection pool of a shared client): {@code /hang/...} reads the
 * request and never answers (the connection stays open until the client closes it), {@code /trickle/...} sends the
 * status line and headers of a 2xx with a long body and then one byte every 100 ms, anything else gets
 * {@code 200} at once, with keep-alive.
 *
 * <p>Counts, per path, the requests now held open without an answer, and how many connections are open. One virtual
 * thread per connection; thread-safe.
 */
final class LoopbackReceiver implements AutoCloseable {

    private final ServerSocket server;
    private final Map<String, AtomicInteger> hanging = new ConcurrentHashMap<>();
    private final AtomicInteger hangingTotal = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    LoopbackReceiver() throws IOException {
        server = new ServerSocket(0, 1024, InetAddress.getByName("127.0.0.1"));
        Thread.ofVirtual().name("loopback-accept").start(this::accept);
    }

    /** The URL of a receiver on this server; paths starting with {@code /hang/} never answer. */
    URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + path);
    }

    /** Requests held open without an answer right now, all paths together. */
    int hanging() {
        return hangingTotal.get();
    }

    /** Requests held open without an answer right now on paths starting with this prefix. */
    int hanging(String pathPrefix) {
        return hanging.entrySet().stream().filter(e -> e.getKey().startsWith(pathPrefix))
                .mapToInt(e -> e.getValue().get()).sum();
    }

    /** Requests answered 200. */
    int answered() {
        return answered.get();
    }

    /** Connections open now. */
    int openConnections() {
        return open.size();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                Thread.ofVirtual().name("loopback-conn").start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream()); OutputStream out = socket.getOutputStream()) {
            while (true) {
                String path = readRequest(in);
                if (path == null) {
                    return;
                }
                if (path.startsWith("/hang/")) {
                    AtomicInteger count = hanging.computeIfAbsent(path, p -> new AtomicInteger());
                    count.incrementAndGet();
                    hangingTotal.incrementAndGet();
                    try {
                        while (in.read() >= 0) {
                            // never answers; waits for the client to close
                        }
                    } finally {
                        count.decrementAndGet();
                        hangingTotal.decrementAndGet();
                    }
                    return;
                }
                if (path.startsWith("/trickle/")) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    for (int i = 0; i < 100_000; i++) {
                        out.write('x');
                        out.flush();
                        Thread.sleep(100);
                    }
                    return;
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                answered.incrementAndGet();
            }
        } catch (IOException | InterruptedException e) {
            // the client closed the connection, or the server is closing
        } finally {
            open.remove(socket);
        }
    }

    /** Reads one request (head and Content-Length body); its path, or null at the end of the connection. */
    private static String readRequest(InputStream in) throws IOException {
        String requestLine = line(in);
        if (requestLine == null) {
            return null;
        }
        long length = 0;
        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            if (colon > 0 && header.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                length = Long.parseLong(header.substring(colon + 1).trim());
            }
        }
        if (length > 0) {
            in.readNBytes((int) length);
        }
        String[] parts = requestLine.split(" ");
        return parts.length > 1 ? parts[1] : "/";
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                String s = bytes.toString(StandardCharsets.US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            bytes.write(b);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
