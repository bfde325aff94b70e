"""Account pages (/account/…): thin views over accounts.services, enterprises and totp."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.accounts import enterprises, forms, otp, permissions, services, totp
from yiwang.accounts.models import AgentAuthorisation, Enterprise, OtpPurpose, PersonIdentity, User
from yiwang.accounts.signals import client_ip

PENDING_USER = "yiwang_pending_user_id"
PENDING_AT = "yiwang_pending_at"
PENDING_NEXT = "yiwang_pending_next"
PENDING_TTL_SECONDS = 10 * 60


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    # The portal's base template; a minimal fallback keeps account pages usable without the portal app.
    context.setdefault("base_template", select_template(["web/base.html", "accounts/fallback_base.html"]))
    return render(request, template, context, status=status)


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("accounts:me")


def _add_errors(form: Any, exc: ValidationError, default_field: str | None = None) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else default_field, errors)
    else:
        form.add_error(default_field, exc.messages)


# --- Sign-in --------------------------------------------------------------------------------------------


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT, 0)
    if not user_id or time.time() - started > PENDING_TTL_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def _finish_sign_in(request: HttpRequest, user: User, method: str, *, second_factor: bool) -> HttpResponse:
    next_url = request.session.get(PENDING_NEXT)
    for key in (PENDING_USER, PENDING_AT, PENDING_NEXT):
        request.session.pop(key, None)
    request.yiwang_sign_in_method = method  # type: ignore[attr-defined]
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if second_factor:
        request.session[totp.SESSION_FLAG] = int(time.time())
    return HttpResponseRedirect(_safe_next(request, next_url))


def signin(request: HttpRequest) -> HttpResponse:
    form = forms.SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.check_password(
                form.cleaned_data["identifier"], form.cleaned_data["password"], client_ip=client_ip(request)
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_AT] = time.time()
            request.session[PENDING_NEXT] = _safe_next(
                request, request.POST.get("next") or request.GET.get("next")
            )
            if permissions.is_staff_member(user):
                return redirect("accounts:totp")
            if not user.phone:
                form.add_error(None, _("该账户没有登记手机号码，无法发送验证码，请联系管理员。"))
            else:
                try:
                    otp.send_code(user.phone, OtpPurpose.LOGIN, client_ip=client_ip(request))
                except ValidationError as exc:
                    messages.warning(request, " ".join(exc.messages))
                return redirect("accounts:signin_code")
    return _render(request, "accounts/signin.html", {"form": form, "next": request.GET.get("next", "")})


def signin_code(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("登录已超时，请重新输入账户和密码。"))
        return redirect("accounts:signin")
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            otp.send_code(user.phone, OtpPurpose.LOGIN, client_ip=client_ip(request))
            messages.success(request, _("验证码已重新发送。"))
        except ValidationError as exc:
            messages.warning(request, " ".join(exc.messages))
        return redirect("accounts:signin_code")
    if request.method == "POST" and form.is_valid():
        try:
            otp.verify_code(user.phone, OtpPurpose.LOGIN, form.cleaned_data["code"])
        except ValidationError as exc:
            services.record_second_factor_failure(user, step="sms", client_ip=client_ip(request))
            _add_errors(form, exc, "code")
        else:
            return _finish_sign_in(request, user, "password+sms", second_factor=False)
    masked = f"{user.phone[:3]}****{user.phone[-4:]}"
    return _render(request, "accounts/signin_code.html", {"form": form, "masked_phone": masked})


def totp_step(request: HttpRequest) -> HttpResponse:
    """Staff second factor: enrol (QR code) when needed, then check the code."""
    if request.user.is_authenticated:
        user: User | None = request.user
        if request.GET.get("next"):
            request.session[PENDING_NEXT] = _safe_next(request, request.GET["next"])
    else:
        user = _pending_user(request)
    if user is None:
        return redirect("accounts:signin")
    enrolled = totp.is_enrolled(user)
    form = forms.TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if enrolled:
                totp.verify(user, form.cleaned_data["code"])
            else:
                totp.confirm_enrolment(user, form.cleaned_data["code"])
        except ValidationError as exc:
            services.record_second_factor_failure(user, step="totp", client_ip=client_ip(request))
            _add_errors(form, exc, "code")
        else:
            if request.user.is_authenticated:
                request.session[totp.SESSION_FLAG] = int(time.time())
                return HttpResponseRedirect(_safe_next(request, request.session.pop(PENDING_NEXT, None)))
            return _finish_sign_in(request, user, "password+totp", second_factor=True)
    context: dict[str, Any] = {"form": form, "enrolled": enrolled}
    if not enrolled:
        device = totp.start_enrolment(user) if request.method == "GET" else totp.device_for(user)
        device = device or totp.start_enrolment(user)
        context["qr_svg"] = totp.qr_svg(device)
        context["secret"] = totp.secret_of(device)
    return _render(request, "accounts/totp.html", context)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("您已安全退出。"))
    return redirect("accounts:signin")


# --- Registration and password reset --------------------------------------------------------------------


def register(request: HttpRequest) -> HttpResponse:
    form = forms.RegistrationForm(request.POST or None)
    if request.method == "POST" and not form.is_valid() and request.POST.get("action") != "send_code":
        # Show every problem at once: the service's checks too, not only the empty fields.
        raw = services.Registration(
            phone=request.POST.get("phone", ""),
            code="",
            name=request.POST.get("name", ""),
            resident_id=request.POST.get("resident_id", ""),
            password=request.POST.get("password", ""),
        )
        for field, problems in services.validate_registration(raw).items():
            if field not in form.errors:
                form.add_error(field, problems)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "send_code":
            try:
                otp.send_code(
                    services.validate_mobile(data["phone"]), OtpPurpose.REGISTER, client_ip=client_ip(request)
                )
            except ValidationError as exc:
                _add_errors(form, exc, "phone")
            else:
                messages.success(request, _("验证码已发送到您的手机，5分钟内有效。"))
        else:
            registration = services.Registration(
                phone=data["phone"],
                code=data["code"],
                name=data["name"],
                resident_id=data["resident_id"],
                password=data["password"],
            )
            try:
                user = services.register_person(registration)
            except ValidationError as exc:
                _add_errors(form, exc, "code")
            else:
                request.yiwang_sign_in_method = "register"  # type: ignore[attr-defined]
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request, _("注册成功，您的实名等级为一级。办理部分事项需要先完成人口库核验（二级）。")
                )
                return redirect("accounts:me")
    return _render(request, "accounts/register.html", {"form": form})


def password_reset(request: HttpRequest) -> HttpResponse:
    form = forms.PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            phone = services.validate_mobile(data["phone"])
        except ValidationError as exc:
            _add_errors(form, exc, "phone")
        else:
            if request.POST.get("action") == "send_code":
                try:
                    services.send_password_reset_code(phone, client_ip=client_ip(request))
                except ValidationError as exc:
                    _add_errors(form, exc, "phone")
                if not form.errors:
                    messages.success(request, _("如该号码已注册，验证码已发送，5分钟内有效。"))
            else:
                try:
                    services.reset_password(phone, data["code"], data["password"])
                except ValidationError as exc:
                    _add_errors(form, exc, "code")
                else:
                    messages.success(request, _("密码已重置，所有设备上的登录均已退出，请用新密码登录。"))
                    return redirect("accounts:signin")
    return _render(request, "accounts/password_reset.html", {"form": form})


# --- My account ---------------------------------------------------------------------------------------


@login_required
def me(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    identity = PersonIdentity.objects.filter(user=user).first()
    context = {
        "identity": identity,
        "sessions": services.active_sessions(user),
        "current_session": request.session.session_key,
        "enterprises": permissions.enterprises_for(user),
        "acting": enterprises.acting_enterprise(request.session, user),
        "memberships": permissions.memberships(user),
    }
    return _render(request, "accounts/me.html", context)


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return _render(request, "accounts/my_data.html", {"entries": services.access_log(user)})


@login_required
def my_data_download(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    response = JsonResponse(
        services.personal_data(user), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="yiwang-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def signout_everywhere(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    services.end_all_sessions(user, actor=user)
    logout(request)
    messages.success(request, _("已退出所有设备上的登录。"))
    return redirect("accounts:signin")


@login_required
def level(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    error = ""
    if request.method == "POST":
        try:
            services.upgrade_to_l2(user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("核验通过，您的实名等级已提升为二级。"))
            return redirect("accounts:level")
    identity = PersonIdentity.objects.filter(user=user).first()
    return _render(
        request,
        "accounts/level.html",
        {"identity": identity, "error": error, "required": request.GET.get("required", "")},
        status=400 if error else 200,
    )


# --- Enterprises ---------------------------------------------------------------------------------------


@login_required
def enterprise_switch(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = forms.EnterpriseRegistrationForm(
        request.POST if request.POST.get("action") == "register" else None
    )
    if request.method == "POST" and request.POST.get("action") == "switch":
        choice = request.POST.get("enterprise", "")
        try:
            chosen = enterprises.switch_context(
                request.session, user, int(choice) if choice.isdigit() else None
            )
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            if chosen is None:
                messages.success(request, _("现在以个人身份办事。"))
            else:
                messages.success(request, _("现在代表“%(name)s”办事。") % {"name": chosen.name})
        return redirect("accounts:enterprise")
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = enterprises.register_enterprise(user=user, uscc=form.cleaned_data["uscc"])
        except ValidationError as exc:
            _add_errors(form, exc, "uscc")
        else:
            messages.success(request, _("企业“%(name)s”登记成功。") % {"name": enterprise.name})
            return redirect("accounts:enterprise")
    context = {
        "enterprises": permissions.enterprises_for(user),
        "acting": enterprises.acting_enterprise(request.session, user),
        "form": form,
    }
    return _render(request, "accounts/enterprise.html", context)


@login_required
def agents(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    enterprise = get_object_or_404(Enterprise, pk=enterprise_id, representative=user)
    form = forms.AgentAuthorisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        end_of_day = dt.datetime.combine(data["valid_until"], dt.time(23, 59, 59))
        try:
            enterprises.authorise_agent(
                enterprise=enterprise,
                actor=user,
                agent_phone=data["agent_phone"],
                valid_until=timezone.make_aware(end_of_day),
                all_items=data["all_items"],
                item_codes=data["item_codes"].split(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("授权已生效。"))
            return redirect("accounts:agents", enterprise_id=enterprise.pk)
    grants = (
        AgentAuthorisation.objects.filter(enterprise=enterprise)
        .select_related("agent")
        .order_by("-created_at")
    )
    return _render(
        request,
        "accounts/agents.html",
        {"enterprise": enterprise, "form": form, "grants": grants, "now": timezone.now()},
    )


@login_required
@require_POST
def revoke_agent(request: HttpRequest, enterprise_id: int, grant_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    grant = get_object_or_404(
        AgentAuthorisation, pk=grant_id, enterprise_id=enterprise_id, enterprise__representative=user
    )
    try:
        enterprises.revoke_authorisation(grant, actor=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已撤销 %(agent)s 的授权。") % {"agent": grant.agent})
    return redirect("accounts:agents", enterprise_id=enterprise_id)
