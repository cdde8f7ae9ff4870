"""`flow`: Prefect's flow decorator for MAP-ELITE's flows, whose calls first make sure Prefect
has an API to talk to (`flows.embedded.use_local_api`: the configured server, else the local
server started in the background and reused), so no command waits for Prefect's temporary
embedded server to start and none loses its run history at exit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Flow

from flows.embedded import use_local_api

P = ParamSpec("P")
R = TypeVar("R")


class LocalApiFlow(Flow[P, R]):
    """A Prefect flow that, when called, first points Prefect at an API (see module doc)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        use_local_api()
        return super().__call__(*args, **kwargs)


def flow(**options: Any) -> Callable[[Callable[P, R]], Flow[P, R]]:
    """``@flow(name=..., ...)`` as Prefect's, for a `LocalApiFlow`."""

    def decorate(fn: Callable[P, R]) -> Flow[P, R]:
        return LocalApiFlow(fn, **options)

    return decorate
