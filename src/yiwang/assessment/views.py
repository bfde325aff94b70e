"""Pages of the assessment app: rounds, a round's set-up and runs, the report and its drill-down, exports,
the questionnaire template and the self-assessment page. Thin: parse, call a service or selector, render.

Who sees what: published reports are public; drafts, set-up and the self-assessment are for evaluators
(Role.EVALUATOR) and administrators (superusers, Role.ADMIN), signed in with their second factor.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.accounts import permissions
from yiwang.accounts.decorators import staff_second_factor_required
from yiwang.accounts.models import Role
from yiwang.assessment import exports, selectors, services
from yiwang.assessment.importers import ImportProblems, questionnaire_template, read_rows
from yiwang.assessment.models import (
    IndicatorTree,
    Round,
    RoundStatus,
    Run,
    RunStatus,
    ScoringMode,
    SubjectKind,
    UnmeasuredPolicy,
)
from yiwang.assessment.tree import TreeError, load_default_tree

MAX_UPLOAD = 5 * 1024 * 1024


def is_evaluator(user: Any) -> bool:
    return (
        permissions.is_superuser(user) or permissions.memberships(user, [Role.EVALUATOR, Role.ADMIN]).exists()
    )


def _require_evaluator(request: HttpRequest) -> None:
    if not is_evaluator(request.user):
        raise PermissionDenied(_("只有评估人员和管理员可以进行此操作。"))


class RoundForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("轮次名称"), max_length=100)
    period_start = forms.DateField(
        label=gettext_lazy("评估期起"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("评估期止"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    subject_kind = forms.ChoiceField(label=gettext_lazy("评估对象类型"), choices=SubjectKind.choices)
    regions = forms.CharField(
        label=gettext_lazy("评估对象（行政区划代码）"),
        required=False,
        help_text=gettext_lazy("多个代码用空格或逗号分隔；或填写一个上级代码并勾选“全部下级”。"),
    )
    children = forms.BooleanField(label=gettext_lazy("以所填地区的全部下级为评估对象"), required=False)
    unmeasured_policy = forms.ChoiceField(
        label=gettext_lazy("未测指标处理"), choices=UnmeasuredPolicy.choices
    )
    mode = forms.ChoiceField(label=gettext_lazy("评分模式"), choices=ScoringMode.choices)
    tree = forms.ModelChoiceField(
        label=gettext_lazy("指标体系"),
        queryset=IndicatorTree.objects.all(),
        required=False,
        empty_label=gettext_lazy("默认 5/17/78 指标体系"),
    )
    previous = forms.ModelChoiceField(
        label=gettext_lazy("上一轮（比较变化）"),
        queryset=Round.objects.filter(is_self_assessment=False),
        required=False,
    )

    def region_codes(self) -> list[str]:
        return [c for c in self.cleaned_data["regions"].replace("，", ",").replace(",", " ").split() if c]


class SubjectForm(forms.Form):
    region_code = forms.CharField(label=gettext_lazy("行政区划代码"), max_length=6)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=64)
    platform = forms.CharField(
        label=gettext_lazy("平台数据来源"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("local 表示本平台；或另一部署的网址；留空不采集平台数据。"),
    )
    portal_url = forms.URLField(label=gettext_lazy("门户网址"), required=False, assume_scheme="https")
    population = forms.IntegerField(label=gettext_lazy("常住人口"), required=False, min_value=1)
    crawl_profile = forms.CharField(
        label=gettext_lazy("抓取配置（JSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "非一网门户需填写：列表、指南、检索、表格的选择器和网址规则；留空按一网门户抓取。"
        ),
    )

    def clean_crawl_profile(self) -> dict[str, Any]:
        text = self.cleaned_data["crawl_profile"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("抓取配置不是有效的 JSON：第%(line)s行第%(col)s列。")
                % {"line": exc.lineno, "col": exc.colno}
            ) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("抓取配置应为 JSON 对象（{…}）。"))
        return value


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("文件内容"),
        choices=[
            ("scores", gettext_lazy("已计算的得分（region,name,total…）")),
            ("questionnaire", gettext_lazy("问卷答案（按模板）")),
        ],
    )
    file = forms.FileField(label=gettext_lazy("CSV 或 XLSX 文件"))


def index(request: HttpRequest) -> HttpResponse:
    evaluator = is_evaluator(request.user)
    form = RoundForm(
        request.POST or None,
        initial={
            "subject_kind": SubjectKind.CITY,
            "unmeasured_policy": UnmeasuredPolicy.ZERO,
            "mode": ScoringMode.ABSOLUTE,
        },
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            raise PermissionDenied
        _require_evaluator(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                round_ = services.create_round(
                    data["name"], actor=request.user, tree=data["tree"], period_start=data["period_start"], period_end=data["period_end"],
                    subject_kind=data["subject_kind"], unmeasured_policy=data["unmeasured_policy"], mode=data["mode"], previous=data["previous"],
                )  # fmt: skip
                codes = form.region_codes()
                if data["children"]:
                    from yiwang.core.selectors import region_by_code, region_children

                    parents = [region_by_code(c) for c in codes]
                    codes = [child.code for parent in parents if parent for child in region_children(parent)]
                services.add_regions(round_, codes, actor=request.user)
            except services.AssessmentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已创建轮次“%(name)s”。") % {"name": round_.name})
                return redirect("assessment:round", round_id=round_.pk)
    return render(
        request,
        "assessment/index.html",
        {"rounds": selectors.rounds(include_drafts=evaluator), "form": form, "evaluator": evaluator},
    )


def _round_for(request: HttpRequest, round_id: int) -> Round:
    round_ = get_object_or_404(Round, pk=round_id)
    if round_.status != RoundStatus.PUBLISHED and not is_evaluator(request.user):
        raise Http404(_("没有找到这个评估轮次。"))
    return round_


@staff_second_factor_required
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    _require_evaluator(request)
    round_ = get_object_or_404(Round, pk=round_id)
    subject_form = SubjectForm(request.POST if request.POST.get("op") == "subject" else None, prefix="s")
    upload_form = UploadForm(
        request.POST if request.POST.get("op") == "upload" else None, request.FILES or None, prefix="u"
    )
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "subject" and subject_form.is_valid():
                d = subject_form.cleaned_data
                services.set_subject(
                    round_,
                    d["region_code"],
                    d["name"],
                    actor=request.user,
                    platform=d["platform"].strip(),
                    portal_url=d["portal_url"],
                    population=d["population"],
                )
                messages.success(request, _("已保存评估对象。"))
                return redirect("assessment:round", round_id=round_.pk)
            if op == "upload" and upload_form.is_valid():
                upload = upload_form.cleaned_data["file"]
                if upload.size > MAX_UPLOAD:
                    raise ImportProblems([_("文件不能超过 5 MB。")])
                rows = read_rows(upload.read(), upload.name)
                if upload_form.cleaned_data["kind"] == "scores":
                    _round, count = services.import_scores(
                        round_.name, rows, actor=request.user, filename=upload.name, create=False
                    )
                else:
                    count = services.import_questionnaire(
                        round_, rows, actor=request.user, filename=upload.name
                    )
                messages.success(request, _("已导入 %(n)s 条。") % {"n": count})
                return redirect("assessment:round", round_id=round_.pk)
        except (services.AssessmentError, ImportProblems) as exc:
            target = subject_form if op == "subject" else upload_form
            for problem in getattr(exc, "problems", [str(exc)]):
                target.add_error(None, problem)
    runs = round_.runs.order_by("-number")[:20]
    return render(
        request,
        "assessment/round.html",
        {
            "round": round_,
            "subjects": round_.subjects.all(),
            "runs": runs,
            "subject_form": subject_form,
            "upload_form": upload_form,
            "current": selectors.current_run(round_),
        },
    )


@staff_second_factor_required
@require_POST
def run_now(request: HttpRequest, round_id: int) -> HttpResponse:
    _require_evaluator(request)
    round_ = get_object_or_404(Round, pk=round_id)
    try:
        run = services.run_round(round_, actor=request.user)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect("assessment:round", round_id=round_.pk)
    messages.success(request, _("运行 #%(n)s 已完成。") % {"n": run.number})
    return redirect(reverse("assessment:report", args=[round_.pk]) + f"?run={run.number}")


@staff_second_factor_required
@require_POST
def publish(request: HttpRequest, round_id: int) -> HttpResponse:
    _require_evaluator(request)
    round_ = get_object_or_404(Round, pk=round_id)
    try:
        services.publish_round(round_, actor=request.user)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已发布。"))
    return redirect("assessment:round", round_id=round_.pk)


def _run_for(request: HttpRequest, round_: Round) -> Run:
    number = request.GET.get("run", "")
    runs = Run.objects.filter(round=round_, status=RunStatus.DONE)
    run = runs.filter(number=int(number)).first() if number.isdigit() else runs.order_by("-number").first()
    if run is None:
        raise Http404(_("这个轮次还没有完成的运行。"))
    return run


def report(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round_for(request, round_id)
    run = _run_for(request, round_)
    rep = selectors.report(run)
    references = (rep.dimension_means(), rep.dimension_best())
    radars = [
        (r, exports.radar_svg(rep.radar_values(r), title=r.name, references=references)) for r in rep.results
    ]
    change = rep.stats.get("change") or {}
    rows = [(r, (change.get("regions") or {}).get(r.region_code)) for r in rep.results]
    return render(
        request,
        "assessment/report.html",
        {
            "round": round_,
            "run": run,
            "report": rep,
            "rows": rows,
            "radars": radars,
            "evaluator": is_evaluator(request.user),
        },
    )


def region_report(request: HttpRequest, round_id: int, region: str) -> HttpResponse:
    round_ = _round_for(request, round_id)
    run = _run_for(request, round_)
    result = selectors.subject_result(run, region)
    if result is None:
        raise Http404(_("这个地区不在本轮评估中。"))
    rep = selectors.report(run)
    rep_tree = rep.tree
    leaves = {leaf.indicator: leaf for leaf in selectors.leaf_results(result)}
    sections = []
    for dim in rep_tree.level(1):
        groups = []
        for second in dim.children:
            groups.append(
                {
                    "node": second,
                    "score": result.nodes.get(second.id),
                    "leaves": [(leaf, leaves.get(leaf.id)) for leaf in second.leaves()],
                }
            )
        sections.append({"node": dim, "score": result.nodes.get(dim.id), "groups": groups})
    radar = exports.radar_svg(
        rep.radar_values(result),
        title=result.name,
        references=(rep.dimension_means(), rep.dimension_best()),
    )
    return render(
        request,
        "assessment/region.html",
        {"round": round_, "run": run, "result": result, "sections": sections, "radar": radar},
    )


def leaf_detail(request: HttpRequest, round_id: int, region: str, indicator: str) -> HttpResponse:
    round_ = _round_for(request, round_id)
    run = _run_for(request, round_)
    result = selectors.subject_result(run, region)
    leaf = selectors.leaf_result(result, indicator) if result else None
    if result is None or leaf is None:
        raise Http404(_("没有找到这个指标的结果。"))
    node = selectors.report(run).tree.by_id.get(indicator)
    evidence = dict(leaf.evidence)
    failed = evidence.pop("failed", None)
    samples = evidence.pop("samples", None)
    return render(
        request,
        "assessment/leaf.html",
        {
            "round": round_,
            "run": run,
            "result": result,
            "leaf": leaf,
            "node": node,
            "evidence": evidence,
            "failed": failed,
            "samples": samples,
        },
    )


def export(request: HttpRequest, round_id: int, fmt: str) -> HttpResponse:
    round_ = _round_for(request, round_id)
    run = _run_for(request, round_)
    rep = selectors.report(run)
    if fmt == "xlsx":
        response = HttpResponse(
            exports.xlsx(rep),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        response = HttpResponse(exports.pdf(rep), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="assessment-{round_.pk}-run-{run.number}.{fmt}"'
    return response


def template_csv(request: HttpRequest) -> HttpResponse:
    tree = load_default_tree()
    response = HttpResponse(
        "\ufeff" + questionnaire_template(tree, []), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="questionnaire-template.csv"'
    return response


@staff_second_factor_required
def self_assessment(request: HttpRequest) -> HttpResponse:
    _require_evaluator(request)
    from yiwang.assessment import selfassessment

    if request.method == "POST":
        try:
            selfassessment.run_self_assessment(actor=request.user)
        except services.AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已重新计算本平台自评。"))
        return redirect("assessment:self")
    context = selfassessment.overview()
    return render(request, "assessment/self.html", context)


@staff_second_factor_required
def trees(request: HttpRequest) -> HttpResponse:
    _require_evaluator(request)
    error: list[str] = []
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "copy":
                source = get_object_or_404(IndicatorTree, pk=request.POST.get("tree") or 0)
                version = (
                    request.POST.get("version", "").strip() or f"{source.version}-{dt.date.today():%Y%m%d}"
                )
                services.copy_tree(source, version=version, actor=request.user)
            elif op == "edit":
                row = get_object_or_404(IndicatorTree, pk=request.POST.get("tree") or 0)
                services.edit_tree(row, request.POST.get("text", ""), actor=request.user)
            messages.success(request, _("已保存指标体系。"))
            return redirect("assessment:trees")
        except TreeError as exc:
            error = exc.problems
        except services.AssessmentError as exc:
            error = [str(exc)]
    services.default_tree(actor=request.user)
    rows = IndicatorTree.objects.order_by("-created_at")
    edit = request.GET.get("edit", "")
    editing = rows.filter(pk=int(edit)).first() if edit.isdigit() else None
    return render(
        request,
        "assessment/trees.html",
        {"trees": rows, "editing": editing, "errors": error, "posted_text": request.POST.get("text", "")},
    )
