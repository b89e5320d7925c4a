package io.dynamostream.guard;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A DNS the test scripts: host name to addresses; every question is recorded. */
public final class FakeResolver implements DestinationResolver {
    final Map<String, List<InetAddress>> answers = new HashMap<>();
    public final List<String> asked = new ArrayList<>();

    public FakeResolver map(String host, String... ips) {
        List<InetAddress> list = new ArrayList<>();
        for (String ip : ips) {
            list.add(DestinationGuardTest.ip(ip));
        }
        answers.put(host, list);
        return this;
    }

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        asked.add(host);
        List<InetAddress> a = answers.get(host);
        if (a == null) {
            throw new UnknownHostException(host);
        }
        return a;
    }
}
