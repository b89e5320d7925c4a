package io.dynamostream.state;

/** The memory store against the {@link StateStore} contract. */
class MemoryStateStoreTest extends StateStoreContract {

    private final MemoryStateStore memory = new MemoryStateStore();

    @Override
    protected StateStore store() {
        return memory;
    }
}
