"""What a shared server needs: the fair training queue, hosted caps, the result caches."""
