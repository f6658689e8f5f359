"""Just enough CloudFormation to read the project's templates the way the service would.

The rehearsal creates the AWS-API side of the stacks on moto from the templates
themselves, so a name, an argument or a property that the templates get wrong is
wrong in the rehearsal too. This evaluates the intrinsic functions the templates
use (``Ref``, ``Fn::Sub``, ``Fn::GetAtt``, ``Fn::If``, ``Fn::Join``, conditions)
for given parameters; what it does not know raises, so a new intrinsic cannot be
silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cfnlint.decode import decode_str

ACCOUNT = "123456789012"
REGION = "us-east-1"
NO_VALUE = object()
_SUB = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")

# Where each resource type keeps the name that Ref returns (its physical id).
_NAME_PROPERTIES = {
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::DynamoDB::Table": ("TableName",),
    "AWS::Glue::Database": ("DatabaseInput", "Name"),
    "AWS::Glue::Connection": ("ConnectionInput", "Name"),
    "AWS::Glue::Job": ("Name",),
    "AWS::Glue::Workflow": ("Name",),
    "AWS::Glue::Trigger": ("Name",),
    "AWS::Glue::Crawler": ("Name",),
    "AWS::Glue::SecurityConfiguration": ("Name",),
    "AWS::SecretsManager::Secret": ("Name",),
    "AWS::SQS::Queue": ("QueueName",),
    "AWS::Kinesis::Stream": ("Name",),
    "AWS::Athena::WorkGroup": ("Name",),
    "AWS::StepFunctions::StateMachine": ("StateMachineName",),
    "AWS::EMRServerless::Application": ("Name",),
    "AWS::SES::EmailIdentity": ("EmailIdentity",),
    "AWS::SNS::Topic": ("TopicName",),
    "AWS::Events::Rule": ("Name",),
    "AWS::CloudWatch::Alarm": ("AlarmName",),
}

# Attributes that Fn::GetAtt derives from the physical id (what Ref returns).
_ATTRIBUTES: dict[tuple[str, str], Callable[[str], str]] = {
    ("AWS::SQS::Queue", "QueueName"): lambda url: url.rsplit("/", 1)[-1],
    ("AWS::SNS::Topic", "TopicArn"): lambda arn: arn,
    ("AWS::SNS::Topic", "TopicName"): lambda arn: arn.rsplit(":", 1)[-1],
    ("AWS::Events::Rule", "Arn"): lambda name: f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}",
    ("AWS::CloudWatch::Alarm", "Arn"): (
        lambda name: f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"
    ),
}


def parse_template(text: str, source: str) -> dict[str, Any]:
    """A template's YAML or JSON with its intrinsics as dicts (cfn-lint's reader)."""
    parsed, problems = decode_str(text)
    if problems:
        raise ValueError(f"{source} does not parse: {problems}")
    return parsed


class Stack:
    """A template evaluated for one set of parameters (no resources are created here)."""

    def __init__(
        self,
        name: str,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        nested: Callable[[str, dict[str, str]], Stack] | None = None,
    ) -> None:
        self.name = name
        self.template = template
        self.parameters = {
            key: str(parameters.get(key, spec.get("Default", "")))
            for key, spec in template.get("Parameters", {}).items()
        }
        missing = [k for k in parameters if k not in self.parameters]
        if missing:
            raise ValueError(f"{name}: parameters the template does not declare: {missing}")
        for key, spec in template.get("Parameters", {}).items():
            _check_parameter(name, key, spec, self.parameters[key])
        self._nested = nested
        self._children: dict[str, Stack] = {}
        self._conditions: dict[str, bool] = {}
        self._check_rules()

    def _check_rules(self) -> None:
        """Template ``Rules``: CloudFormation refuses the stack when an assertion fails."""
        for name, rule in self.template.get("Rules", {}).items():
            if "RuleCondition" in rule and not self.value(rule["RuleCondition"]):
                continue
            for assertion in rule.get("Assertions", []):
                if not self.value(assertion["Assert"]):
                    raise ValueError(f"{self.name}: rule {name}: {assertion['AssertDescription']}")

    # ------------------------------------------------------------ resources
    def resources(self, resource_type: str | None = None) -> dict[str, dict[str, Any]]:
        """Logical id -> resolved properties of the resources whose condition holds."""
        out = {}
        for logical, resource in self.template.get("Resources", {}).items():
            if resource_type and resource["Type"] != resource_type:
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            out[logical] = self.value(resource.get("Properties", {}))
        return out

    def physical_id(self, logical: str) -> str:
        resource = self.template["Resources"][logical]
        if resource["Type"] == "AWS::CloudFormation::Stack":
            return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{self.name}-{logical}/1"
        path = _NAME_PROPERTIES.get(resource["Type"])
        node: Any = resource.get("Properties", {}) if path else None
        for key in path or ():
            node = node.get(key) if isinstance(node, dict) else None
        # Without a name property CloudFormation generates one: stack, logical id, suffix.
        name = f"{self.name}-{logical}-rehearsal".lower() if node is None else self.value(node)
        if resource["Type"] == "AWS::StepFunctions::StateMachine":
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        if resource["Type"] == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        if resource["Type"] == "AWS::SNS::Topic":  # Ref gives the topic's ARN
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
        return name

    def child(self, logical: str) -> Stack:
        """The nested stack of an ``AWS::CloudFormation::Stack`` resource."""
        if logical not in self._children:
            if self._nested is None:
                raise ValueError(f"{self.name}: no loader for nested stack {logical}")
            props = self.value(self.template["Resources"][logical]["Properties"])
            self._children[logical] = self._nested(logical, props.get("Parameters", {}))
        return self._children[logical]

    def outputs(self) -> dict[str, Any]:
        return {k: self.value(v["Value"]) for k, v in self.template.get("Outputs", {}).items()}

    # ------------------------------------------------------------ intrinsics
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self._conditions[name]

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.name,
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.template.get("Resources", {}):
            return self.physical_id(name)
        raise KeyError(f"{self.name}: Ref to unknown {name}")

    def get_att(self, logical: str, attribute: str) -> Any:
        resource = self.template["Resources"][logical]
        if resource["Type"] == "AWS::CloudFormation::Stack":
            return self.child(logical).outputs()[attribute.removeprefix("Outputs.")]
        derived = _ATTRIBUTES.get((resource["Type"], attribute))
        if derived is not None:
            return derived(self.physical_id(logical))
        if attribute == "Arn":
            kind = resource["Type"].split("::")[1].lower()
            if kind == "iam":
                return f"arn:aws:iam::{ACCOUNT}:role/{self.name}-{logical}"
            if kind == "sqs":
                return (
                    f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.physical_id(logical).rsplit('/', 1)[-1]}"
                )
            return f"arn:aws:{kind}:{REGION}:{ACCOUNT}:{logical}"
        return f"{self.physical_id(logical)}.{attribute}"

    def sub(self, text: str, extra: Mapping[str, Any] | None = None) -> str:
        def one(match: re.Match) -> str:
            key = match.group(1)
            if extra and key in extra:
                return str(extra[key])
            if "." in key:
                logical, attribute = key.split(".", 1)
                return str(self.get_att(logical, attribute))
            return str(self.ref(key))

        return _SUB.sub(one, text)

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            function = _INTRINSICS.get(key)
            if function is not None:
                return function(self, arg)
            if key.startswith("Fn::"):
                raise NotImplementedError(f"{self.name}: intrinsic {key} is not emulated")
        out = {}
        for key, item in node.items():
            resolved = self.value(item)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out


def _check_parameter(stack: str, key: str, spec: Mapping[str, Any], value: str) -> None:
    """What CloudFormation checks before it creates anything."""
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(a) for a in allowed]:
        raise ValueError(f"{stack}: parameter {key}={value!r} is not one of {allowed}")
    pattern = spec.get("AllowedPattern")
    is_string = spec.get("Type", "String") == "String"
    if pattern is not None and is_string and not re.fullmatch(pattern, value):
        raise ValueError(f"{stack}: parameter {key}={value!r} does not match {pattern}")


def _sub(stack: Stack, arg: Any) -> str:
    if isinstance(arg, list):
        text, variables = arg
        return stack.sub(text, {k: stack.value(v) for k, v in variables.items()})
    return stack.sub(arg)


def _get_att(stack: Stack, arg: Any) -> Any:
    logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
    return stack.get_att(logical, attribute)


def _if(stack: Stack, arg: list) -> Any:
    name, yes, no = arg
    return stack.value(yes if stack.condition(name) else no)


def _select(stack: Stack, arg: list) -> Any:
    index, items = arg
    return stack.value(items)[int(stack.value(index))]


_INTRINSICS: dict[str, Callable[[Stack, Any], Any]] = {
    "Ref": lambda s, a: s.ref(a),
    "Fn::Sub": _sub,
    "Fn::GetAtt": _get_att,
    "Fn::If": _if,
    "Fn::Join": lambda s, a: str(a[0]).join(str(x) for x in s.value(a[1])),
    "Fn::Split": lambda s, a: str(s.value(a[1])).split(a[0]),
    "Fn::Select": _select,
    "Fn::Equals": lambda s, a: s.value(a[0]) == s.value(a[1]),
    "Fn::Not": lambda s, a: not s.value(a[0]),
    "Fn::And": lambda s, a: all(s.value(x) for x in a),
    "Fn::Or": lambda s, a: any(s.value(x) for x in a),
    "Condition": lambda s, a: s.condition(a),
}
