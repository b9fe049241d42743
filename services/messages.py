"""Domain messages in both languages, keyed by the code a DomainError carries."""

MESSAGES = {
    "validation_failed": ("提交的内容有误，请修改后重试。", "The submission has errors; correct them and try again."),
    "required": ("此项为必填项。", "This field is required."),
    "invalid_date": ("请输入有效日期（YYYY-MM-DD）。", "Enter a valid date (YYYY-MM-DD)."),
    "invalid_choice": ("请选择一个有效选项。", "Choose one of the options."),
    "invalid_value": ("此项的值无效。", "This value is not valid."),
    "must_acknowledge": ("必须确认已知悉相关规定。", "You must acknowledge the rules."),
    "too_long": ("内容过长（最多 {max} 个字符）。", "Too long (at most {max} characters)."),
    "date_before": ("日期不能早于{other}。", "This date cannot be before {other}."),
    "date_in_past": ("日期不能早于今天。", "This date cannot be in the past."),
    "too_few": ("请至少选择 {min} 项。", "Choose at least {min}."),
    "user_unknown": ("所选人员不存在或已停用。", "The chosen person does not exist or is inactive."),
    "user_lacks_role": ("所选人员不具备“{role}”角色。", "The chosen person does not hold the role {role}."),
    "reference_unknown": ("所选项不在登记的名录中（例如未指定的维修点或销毁点）。", "The choice is not in the register (e.g. not a designated unit or site)."),
    "unknown_field": ("未知字段。", "Unknown field."),
    "not_found": ("未找到该记录，或您无权查看。", "Not found, or you may not see it."),
    "process_not_found": ("没有名为 {process_id} 的流程。", "There is no process {process_id}."),
    "not_a_candidate": ("您不是此任务的办理人。", "You are not a candidate for this task."),
    "own_case": ("不能审批本人提交的申请。", "You cannot approve your own request."),
    "subject_of_case": ("您是本案所涉人员，不能办理此任务。", "The case is about you; you cannot act on this task."),
    "second_approval": ("同一案件的两个审批环节不能由同一人办理。", "One person cannot fill two approval steps of one case."),
    "claimed_by_other": ("该任务已由 {name} 认领。", "This task has been claimed by {name}."),
    "task_closed": ("该任务已由他人办理或已关闭，请刷新收件箱。", "This task was already completed or closed; refresh your inbox."),
    "case_changed": ("该案件刚被他人更新，您的操作未保存，请刷新后重试。", "The case was just changed by someone else; nothing was saved. Refresh and try again."),
    "case_not_running": ("该案件已暂停或出错，暂不能办理。", "The case is suspended or in error; it cannot be acted on now."),
    "not_claimed_by_you": ("该任务不是由您认领的。", "You have not claimed this task."),
    "asset_unknown": ("资产 {number} 不存在。", "Asset {number} does not exist."),
    "asset_unclassified": ("资产 {number} 为非涉密资产，不适用涉密携带外出流程（MED.4）。", "Asset {number} is unclassified and cannot go through the classified carry-out (MED.4)."),
    "asset_not_in_use": ("资产 {number} 当前状态为“{status}”，不能用于本申请。", "Asset {number} is {status} and cannot be used in this request."),
    "asset_in_open_case": ("资产 {number} 已在另一个未结案件中（{case}）。", "Asset {number} is already in another open case ({case})."),
    "asset_other_section": ("资产 {number} 不属于您的科室。", "Asset {number} belongs to another section."),
    "asset_none": ("请至少选择一项资产。", "Choose at least one asset."),
    "applicant_has_no_section": ("您未分配科室，无法发起申请。", "You belong to no section and cannot apply."),
    "bad_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "not_signed_in": ("请先登录。", "Please sign in."),
    "forbidden": ("您无权执行此操作。", "You may not do this."),
    "bad_request": ("请求格式错误。", "The request is malformed."),
    "bad_page_number": ("页码无效：页码为 1 到 {max} 的整数。", "That page number is not valid: pages go from 1 to {max}."),
    "csrf": ("页面已过期，请刷新后重试。", "The page expired; reload it and try again."),
}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add a procedure's own messages (zh_CN, en); a step module calls this when it is imported."""
    clash = set(messages) & set(MESSAGES)
    if clash:
        raise ValueError(f"message codes defined twice: {sorted(clash)}")
    MESSAGES.update(messages)


def message(code: str, locale: str, **params) -> str:
    """The message for `code` in `locale` (zh_CN by default), with its parameters filled in."""
    zh, en = MESSAGES.get(code, (code, code))
    text = en if locale and locale.startswith("en") else zh
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text
