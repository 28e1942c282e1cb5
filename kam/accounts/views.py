"""Account pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kam.accounts.selectors import account_list_visible


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = account_list_visible(user=request.user).select_related("owner")[:200]
    return render(request, "accounts/account_list.html", {"accounts": accounts})


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(account_list_visible(user=request.user), pk=pk)
    return render(request, "accounts/account_detail.html", {"account": account})
